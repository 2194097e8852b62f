using System.Text;
using Cleanroom.Agent.Protocol;
using Cleanroom.HostProcesses;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Waits for the agent's readiness line on the container's stdout (see <see cref="ProtocolConstants.ListeningReadyLine"/>),
/// then closes the server's end of that pipe. End-of-file first means runsc or the agent failed; the caller
/// reads why from the run directory's logs.
/// </summary>
internal static class ReadinessLine
{
    private const int MaxLine = 256;

    public static async Task WaitAsync(DetachedProcess process, CancellationToken cancellationToken)
    {
        var stdout = process.Stdout ?? throw new InvalidOperationException("started without a readiness pipe");
        try
        {
            // A read on a pipe does not observe cancellation; stop waiting instead, and teardown (which kills the
            // writers) ends the read.
            var line = await ReadLineAsync(stdout).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                var exit = process.Exited.IsCompleted ? $"runsc run exited with {await process.Exited.ConfigureAwait(false)}" : "runsc run is still running";
                throw new IOException($"the agent ended before it listened ({exit})");
            }
            if (line != ProtocolConstants.ListeningReadyLine)
                throw new IOException($"the container's first output was not the agent's readiness line: {line}");
        }
        finally
        {
            await stdout.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<string?> ReadLineAsync(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < MaxLine)
        {
            if (await stream.ReadAsync(one).ConfigureAwait(false) == 0)
                return null;
            if (one[0] == (byte)'\n')
                return Encoding.UTF8.GetString(bytes.ToArray());
            bytes.Add(one[0]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
