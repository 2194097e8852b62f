using System.Text;
using Cleanroom.Agent.Client;

namespace Cleanroom.Agent.Tests.Support;

/// <summary>Everything an execution printed, and how it ended.</summary>
public sealed record CollectedOutput(byte[] Stdout, byte[] Stderr, AgentExitStatus Status)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);
    public string StderrText => Encoding.UTF8.GetString(Stderr);

    internal static async Task<CollectedOutput> CollectAsync(AgentExecution execution, CancellationToken cancellationToken)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        await foreach (var chunk in execution.Output.ReadAllAsync(cancellationToken))
            (chunk.Stream == OutputStream.Stdout ? stdout : stderr).Write(chunk.Data.Span);
        var status = await execution.Exit.WaitAsync(cancellationToken);
        return new CollectedOutput(stdout.ToArray(), stderr.ToArray(), status);
    }

    /// <summary>Starts a command and waits for all of it.</summary>
    internal static async Task<CollectedOutput> RunAsync(AgentConnection connection, ExecutionRequest request, CancellationToken cancellationToken)
    {
        var execution = await connection.StartAsync(request, cancellationToken);
        return await CollectAsync(execution, cancellationToken);
    }
}
