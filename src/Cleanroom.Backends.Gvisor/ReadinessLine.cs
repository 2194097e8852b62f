using Cleanroom.Agent.Protocol;
using Cleanroom.HostProcesses;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Waits for the agent's readiness line on the container's stdout (see <see cref="ProtocolConstants.ListeningReadyLine"/>).
/// End-of-file first means runsc or the agent failed; the caller reads why from the run directory's logs.
/// </summary>
internal static class ReadinessLine
{
    public static async Task WaitAsync(DetachedProcess process, CancellationToken cancellationToken)
    {
        var line = await process.ReadReadinessLineAsync(cancellationToken).ConfigureAwait(false);
        if (line is null)
        {
            var exit = process.Exited.IsCompleted ? $"runsc run exited with {await process.Exited.ConfigureAwait(false)}" : "runsc run is still running";
            throw new IOException($"the agent ended before it listened ({exit})");
        }
        if (line != ProtocolConstants.ListeningReadyLine)
            throw new IOException($"the container's first output was not the agent's readiness line: {line}");
    }
}
