using Cleanroom.HostProcesses;
using System.Diagnostics;
using System.Security.Cryptography;
using Cleanroom.Backends.Qemu.Host;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>What a probe boot showed: null problem when the guest's init ran and the VM ended by itself.</summary>
internal sealed record ProbeResult(string? Problem, TimeSpan Elapsed);

/// <summary>
/// A real, tiny boot: our kernel and initramfs, no disk, and an init that prints a marker and reboots at
/// once (<c>cleanroom.probe</c>). It proves that QEMU starts with this accelerator and that the guest kernel
/// runs to userspace under it, which the presence of /dev/kvm never does (on this project's hosts KVM exists
/// but hangs stock kernels). A boot that outlives its deadline is killed.
/// </summary>
internal sealed class ProbeBoot(QemuBackendOptions options, ProgramRunner runner, ILogger logger)
{
    public const string Marker = "cleanroom-probe-ok";

    public async Task<ProbeResult> RunAsync(Accelerator accelerator, string kernel, string initramfs, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var run = SandboxRunDirectory.For(options.SandboxRoot, "probe-" + Guid.NewGuid().ToString("N")[..12]);
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(run.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var argv = QemuCommandLine.Argv(new VmLaunchSpec
            {
                SandboxId = run.SandboxId,
                QemuBinary = options.Settings.BinaryPath,
                Accelerator = accelerator,
                Vcpus = 1,
                MemoryMib = 128,
                KernelPath = kernel,
                InitramfsPath = initramfs,
                ConsoleLogPath = run.ConsoleLog,
                PidFilePath = run.PidFile,
                EntropySeedHex = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
                Probe = true,
            });
            var result = await runner.TryRunAsync(argv, timeout, cancellationToken).ConfigureAwait(false);
            var console = TextTail.OfFile(run.ConsoleLog) ?? "";
            string? problem = result switch
            {
                null => $"the probe boot did not finish within {timeout.TotalSeconds:0.#} s and was killed",
                { ExitCode: not 0 } => $"QEMU exited with {result.ExitCode}: {TextTail.Of(result.Stderr)}",
                _ when !console.Contains(Marker, StringComparison.Ordinal) => $"the guest never reached its init (console: {TextTail.Of(console, 500)})",
                _ => null,
            };
            logger.LogInformation("probe boot under {Accelerator}: {Outcome} after {Milliseconds} ms",
                accelerator, problem ?? "ok", clock.ElapsedMilliseconds);
            return new ProbeResult(problem, clock.Elapsed);
        }
        finally
        {
            Directory.Delete(run.Path, recursive: true);
        }
    }
}
