using Cleanroom.Agent.Client;
using Cleanroom.Backends.AgentBased;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Removes everything one sandbox made on the host, gentle first: ask the agent to stop its commands and exit
/// (the container ends with its PID 1), then <c>runsc delete --force</c> (which kills what is left and removes
/// the container's state and cgroup), SIGKILL to any runsc process still naming the sandbox, and last the run
/// directory. Every step tolerates "already gone", so it serves terminate, failed provisioning and
/// reconciliation alike, and can be repeated.
/// </summary>
internal sealed class SandboxTeardown(Runsc runsc, ILogger logger, TimeSpan grace)
{
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(5);

    public async Task RunAsync(SandboxLayout layout, AgentConnection? connection)
    {
        // Not cancellable: a half-removed sandbox is worse than a slow terminate.
        if (connection is not null)
            await TeardownSteps.StopAgentAsync(connection, grace, ExitWait, logger).ConfigureAwait(false);
        await Try(() => runsc.DeleteAsync(layout.ContainerId, CancellationToken.None), layout, "runsc delete").ConfigureAwait(false);

        var strays = RunscProcesses.OfSandbox(runsc.Root, layout.ContainerId, layout.RunDirectory);
        if (strays.Count > 0)
        {
            logger.LogWarning("sandbox {SandboxId}: killing runsc processes left after delete: {Pids}", layout.SandboxId, string.Join(", ", strays));
            RunscProcesses.Kill(strays);
        }
        TeardownSteps.RemoveRunDirectory(layout.RunDirectory, layout.SandboxId, logger);
    }

    private async Task Try(Func<Task> step, SandboxLayout layout, string what)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning(e, "sandbox {SandboxId}: {Step} failed", layout.SandboxId, what);
        }
    }
}
