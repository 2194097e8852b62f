using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Backends.Qemu.Sandbox;
using Cleanroom.Backends.Qemu.Vm;
using Cleanroom.HostProcesses;
using Cleanroom.Images;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Qemu;

/// <summary>
/// After a server restart: takes back every sandbox the store still believes READY whose QEMU still runs (its
/// pidfile names a live process with the sandbox's guest name) and whose agent answers a handshake on the socket
/// QEMU serves, then has <see cref="LeftoverSweeper"/> remove everything else. VMs are re-adopted side by side.
/// </summary>
internal sealed class VmReadoption(QemuBackendOptions options, VmTeardown teardown, ImageStore images, ILogger logger)
{
    /// <summary>A live agent answers in milliseconds even under emulation; one that does not within this is treated as gone.</summary>
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);

    public async Task<BackendReconciliation> RunAsync(IReadOnlyCollection<SandboxSpec> expected, CancellationToken cancellationToken)
    {
        // QEMU sandboxes are never suspended; a spec that says so is not one of ours to run, and is swept.
        var attempts = expected.Where(spec => !spec.Suspended).Select(spec => TryAdoptAsync(spec, cancellationToken)).ToArray();
        var adopted = (await Task.WhenAll(attempts).ConfigureAwait(false)).OfType<QemuSandbox>().ToList();
        var keep = adopted.Select(s => s.SandboxId).ToHashSet(StringComparer.Ordinal);
        var removed = await new LeftoverSweeper(options, teardown, logger).SweepAsync(keep).ConfigureAwait(false);
        return new BackendReconciliation(adopted, removed);
    }

    private async Task<QemuSandbox?> TryAdoptAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        var run = SandboxRunDirectory.For(options.SandboxRoot, spec.SandboxId);
        if (HostPids.FromPidFile(run.PidFile, QemuCommandLine.GuestName(spec.SandboxId)) is not { } pid)
        {
            logger.LogWarning("sandbox {SandboxId} cannot be re-adopted: its QEMU is not running", spec.SandboxId);
            return null;
        }
        try
        {
            var image = images.Resolve(spec.ImageRef);
            var connection = await VmAgentChannel.ConnectAsync(run, options, HandshakeTimeout, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("sandbox {SandboxId} re-adopted: QEMU pid {Pid}, its agent answered", spec.SandboxId, pid);
            // No TAP removal of its own: the VM's TAP lives in the sandbox's namespace, which goes with its network.
            return new QemuSandbox(new LaunchedVm(run, QemuProcess.Adopt(pid), connection), image.Config, teardown);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The guest console says what the agent was doing; it goes with the run directory right after this.
            logger.LogWarning("sandbox {SandboxId} cannot be re-adopted: {Reason}; guest console: {Console}",
                spec.SandboxId, e.Message, TextTail.OfFile(run.ConsoleLog, 1500) ?? "(empty)");
            return null;
        }
    }
}
