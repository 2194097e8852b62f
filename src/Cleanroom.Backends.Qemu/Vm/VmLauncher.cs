using Cleanroom.HostProcesses;
using Cleanroom.Agent.Client;
using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>A VM whose agent has answered the handshake.</summary>
internal sealed record LaunchedVm(SandboxRunDirectory Run, QemuProcess Process, AgentConnection Agent);

/// <summary>
/// Starts one VM and waits until its agent answers, which is the readiness signal (no polling, no sleeps): QEMU
/// serves the run directory's socket (its virtio-serial port's backend), the host connects to it, and the agent
/// handshake runs over it once the guest's init opens the port and sees a host connected. A QEMU that exits early
/// (bad kernel, guest panic: <c>panic=-1</c> with <c>-no-reboot</c>) resets the connection and ends the wait at once. On any
/// failure everything is removed and the error carries QEMU's stderr and the guest console's tail.
/// </summary>
internal sealed class VmLauncher(QemuBackendOptions options, VmTeardown teardown, ILogger logger)
{
    /// <summary>Starts QEMU for <paramref name="spec"/> in <paramref name="run"/>, which must exist and hold the disk.</summary>
    public async Task<LaunchedVm> LaunchAsync(SandboxRunDirectory run, VmLaunchSpec spec, CancellationToken cancellationToken)
    {
        QemuProcess? process = null;
        AgentConnection? connection = null;
        var started = Environment.TickCount64;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.ReadyTimeout);
            // The listening socket is made here and handed to QEMU as descriptor 3 (its chardev is the server end): the
            // socket then lives as long as the VM, not as long as this server, and a restarted server connects to the
            // same path. Connecting right after the start needs no wait: the kernel queues the connection until QEMU
            // accepts it, and resets it if QEMU dies first.
            using (var listener = InheritableListener.Bind(run.AgentSocket))
                process = QemuProcess.Start(QemuCommandLine.Argv(spec), run.QemuLog, listener, logger);
            connection = await VmAgentChannel.ConnectAsync(
                run, options, options.ReadyTimeout - TimeSpan.FromMilliseconds(Environment.TickCount64 - started), deadline.Token).ConfigureAwait(false);
            logger.LogDebug("sandbox {SandboxId}: agent answered {Milliseconds} ms after QEMU started", run.SandboxId, Environment.TickCount64 - started);
            return new LaunchedVm(run, process, connection);
        }
        catch (Exception e)
        {
            // A lost channel usually means QEMU is ending; give its exit a moment to land so the error says so.
            if (process is not null && e is CleanroomException)
                await process.WaitForExitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            var stderr = process is null ? null : await process.StderrTailAsync().ConfigureAwait(false);
            var exitCode = process?.ExitCode;
            var exit = exitCode is { } code ? $"QEMU exited with {code}" : process is null ? "QEMU did not start" : "QEMU was still running";
            var console = TextTail.OfFile(run.ConsoleLog);
            await teardown.RunAsync(run, connection, process).ConfigureAwait(false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
                throw;
            if (e is CleanroomException known && process is null)
                throw known; // failed before QEMU started: the message already says what to fix
            var reason = e switch
            {
                OperationCanceledException => $"no agent handshake within {options.ReadyTimeout.TotalSeconds:0} s",
                // The channel closing is only the symptom when QEMU itself is gone; its stderr holds the cause.
                CleanroomException when exitCode is not null => "QEMU ended before the guest's agent answered",
                _ => e.Message,
            };
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed,
                $"the VM of sandbox {run.SandboxId} did not become ready: {reason} ({exit}). QEMU stderr: {stderr ?? "(none)"}. Guest console: {console ?? "(empty)"}", e);
        }
    }
}
