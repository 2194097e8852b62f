using System.Security.Cryptography;
using System.Text;
using Cleanroom.Backends.Qemu;
using Cleanroom.Backends.Qemu.Boot;
using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Backends.Qemu.Vm;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Bench;

/// <summary>
/// The baseline of the qemu row: QEMU booting the same kernel on the same machine as a sandbox (the backend's own
/// argv builder, so machine type, accelerator, CPU model, vCPUs, memory, -sandbox, -runas and the agent port's
/// devices are the sandbox's), but with a tiny initramfs instead of the agent: busybox-static's shell as /init,
/// which prints a marker and reboots at once (<c>-no-reboot</c> makes that QEMU's exit). No disk, no network, no
/// agent handshake. Wall time from starting QEMU to its exit; the marker on the console proves init really ran
/// (with <c>panic=-1</c>, a kernel that cannot run init also ends QEMU quickly).
/// </summary>
internal sealed class RawQemuBoot(string kernel, Accelerator accelerator, string directory) : IDisposable
{
    private const string Marker = "raw-init-ok";
    private static readonly TimeSpan BootDeadline = TimeSpan.FromSeconds(60);

    private readonly ProgramRunner _runner = new(NullLogger.Instance);
    private readonly QemuBackendOptions _defaults = new() { SandboxRoot = directory, CacheRoot = directory, AgentDirectory = directory };
    private int _boots;

    private string Initramfs => Path.Combine(directory, "init.cpio");

    /// <summary>A baseline for <paramref name="kernel"/> under <paramref name="accelerator"/>; builds the initramfs from <paramref name="busybox"/>.</summary>
    public static RawQemuBoot Create(string kernel, Accelerator accelerator, string busybox)
    {
        // Short: QEMU's agent-port socket lives under it and must fit a unix socket address.
        var boot = new RawQemuBoot(kernel, accelerator, Directory.CreateTempSubdirectory("cr-raw-").FullName);
        try
        {
            boot.WriteInitramfs(busybox);
            return boot;
        }
        catch
        {
            boot.Dispose();
            throw;
        }
    }

    /// <summary>One boot, from starting QEMU to its exit; throws unless init ran and QEMU exited cleanly.</summary>
    public async Task BootAsync()
    {
        var id = "rawboot-" + Interlocked.Increment(ref _boots);
        var run = Path.Combine(directory, id);
        Directory.CreateDirectory(run);
        try
        {
            var console = Path.Combine(run, "console.log");
            var argv = QemuCommandLine.Argv(new VmLaunchSpec
            {
                SandboxId = id,
                QemuBinary = _defaults.Settings.BinaryPath,
                Accelerator = accelerator,
                // What a sandbox with no resources in its policy gets (QemuBackend.ProvisionAsync).
                Vcpus = Math.Max(1, _defaults.Settings.MinVcpus),
                MemoryMib = (int)Math.Max(_defaults.DefaultMemoryBytes >> 20, _defaults.Settings.MinMemoryMib),
                KernelPath = kernel,
                InitramfsPath = Initramfs,
                // Nothing in this guest opens the agent port: a probe's null channel (and cleanroom.probe on the
                // command line, which this busybox init ignores), so no socket has to be handed over.
                Probe = true,
                ConsoleLogPath = console,
                PidFilePath = Path.Combine(run, "qemu.pid"),
                EntropySeedHex = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
                RunAsUser = _defaults.RunAsUser,
            });
            var result = await _runner.TryRunAsync(argv, BootDeadline, CancellationToken.None)
                ?? throw new InvalidOperationException($"the raw boot did not end within {BootDeadline.TotalSeconds:0} s: {ProgramRunner.Describe(argv)}");
            var output = File.Exists(console) ? await File.ReadAllTextAsync(console) : "";
            if (result.ExitCode != 0 || !output.Contains(Marker, StringComparison.Ordinal))
                throw new InvalidOperationException($"the raw boot failed (QEMU exit {result.ExitCode}, console: {output.Trim()}): {result.Stderr.Trim()}");
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private void WriteInitramfs(string busybox)
    {
        if (!File.Exists(busybox))
            throw new InvalidOperationException($"{busybox} is missing: apt-get install busybox-static (bench/run.sh does)");
        using var file = new FileStream(Initramfs, FileMode.CreateNew, FileAccess.Write);
        var cpio = new CpioWriter(file);
        cpio.Directory("dev");
        cpio.Directory("bin");
        // The kernel opens /dev/console for init's stdio before anything is mounted.
        cpio.CharacterDevice("dev/console", 0x180 /* 0600 */, 5, 1);
        cpio.File("bin/busybox", File.ReadAllBytes(busybox), 0x1ed /* 0755 */);
        cpio.Symlink("bin/sh", "busybox");
        // Arguments and environment the kernel hands init (the agent's words) are ignored.
        cpio.File("init", Encoding.ASCII.GetBytes($"#!/bin/sh\necho {Marker}\nexec /bin/busybox reboot -f\n"), 0x1ed);
        cpio.Finish();
    }
}
