using Cleanroom.Agent.Client;
using Cleanroom.Backends.AgentBased;
using Cleanroom.Backends.Qemu.Host;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>
/// Removes everything one VM made on the host, gentle first: ask the agent to stop its commands (it then syncs
/// and reboots, which ends QEMU), wait for QEMU to exit, kill it if it does not, and last remove the run
/// directory (socket, pidfile, console log, overlay). Every step tolerates "already gone", so the same code
/// serves terminate, failed provisioning and reconciliation, and can run twice.
/// </summary>
internal sealed class VmTeardown(ILogger logger, TimeSpan grace)
{
    // The guest needs a moment after the agent's last frame: sync, reboot, and QEMU's own exit.
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(10);

    public async Task RunAsync(SandboxRunDirectory run, AgentConnection? connection, QemuProcess? process)
    {
        // Not cancellable: a half-removed sandbox is worse than a slow terminate.
        if (connection is not null)
            await TeardownSteps.StopAgentAsync(connection, grace, ExitWait, logger).ConfigureAwait(false);

        if (process is not null)
        {
            if (!await process.WaitForExitAsync(connection is null ? TimeSpan.Zero : grace + ExitWait).ConfigureAwait(false))
            {
                if (connection is not null)
                    logger.LogWarning("sandbox {SandboxId}: QEMU did not exit after the agent stopped; killing it", run.SandboxId);
                process.Kill();
                if (!await process.WaitForExitAsync(KillWait).ConfigureAwait(false))
                    logger.LogError("sandbox {SandboxId}: QEMU pid {Pid} survived SIGKILL for {Seconds} s", run.SandboxId, process.Pid, KillWait.TotalSeconds);
            }
        }

        // A QEMU this server does not hold as a child (it started before a restart): found by its pidfile.
        if (HostPids.FromPidFile(run.PidFile, QemuCommandLine.GuestName(run.SandboxId)) is { } pid)
        {
            logger.LogWarning("sandbox {SandboxId}: killing QEMU pid {Pid} from its pidfile", run.SandboxId, pid);
            HostPids.KillAndWait(pid, KillWait);
        }
        TeardownSteps.RemoveRunDirectory(run.Path, run.SandboxId, logger);
    }
}
