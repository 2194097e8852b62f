using Cleanroom.Agent.Client;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.AgentBased;

/// <summary>
/// The two teardown steps every agent-based backend takes the same way, first and last: ask the agent to stop its
/// commands and exit, and remove the sandbox's run directory. What lies between (runsc kill and delete, QEMU's
/// exit or SIGKILL) is each backend's own.
/// </summary>
public static class TeardownSteps
{
    /// <summary>
    /// Asks the agent to stop every command (SIGTERM, SIGKILL after <paramref name="grace"/>) and exit, waiting at
    /// most <paramref name="grace"/> + <paramref name="exitWait"/>, then closes the connection. Never throws: an agent
    /// already lost or stuck is forced down by the backend's next step either way.
    /// </summary>
    public static async Task StopAgentAsync(AgentConnection connection, TimeSpan grace, TimeSpan exitWait, ILogger logger)
    {
        try
        {
            await connection.ShutdownAsync(grace, CancellationToken.None).WaitAsync(grace + exitWait).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogDebug(e, "agent shutdown did not complete cleanly");
        }
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Removes <paramref name="runDirectory"/> if present; a failure is logged with the sandbox and rethrown (terminate reports it).</summary>
    public static void RemoveRunDirectory(string runDirectory, string sandboxId, ILogger logger)
    {
        try
        {
            if (Directory.Exists(runDirectory))
                Directory.Delete(runDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "sandbox {SandboxId}: could not remove {RunDirectory}", sandboxId, runDirectory);
            throw;
        }
    }
}
