using System.Text;

namespace Cleanroom.Backends.Gvisor.Tests.Support;

/// <summary>Everything an execution produced, collected the way the control plane reads it.</summary>
public sealed record ExecutionResult(ExitStatus Exit, string Stdout, string Stderr, IReadOnlyList<OutputChunk> Chunks)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static Task<ExecutionResult> RunAsync(IProvisionedSandbox sandbox, params string[] argv) =>
        RunAsync(sandbox, new ExecutionSpec { Argv = argv });

    /// <summary>Starts <paramref name="spec"/>, writes <paramref name="stdin"/> (then closes it), reads all output, waits for the exit.</summary>
    public static async Task<ExecutionResult> RunAsync(IProvisionedSandbox sandbox, ExecutionSpec spec, byte[]? stdin = null)
    {
        using var deadline = new CancellationTokenSource(DefaultTimeout);
        await using var execution = await sandbox.StartExecutionAsync(stdin is null ? spec : spec with { Stdin = true }, deadline.Token);
        var writer = stdin is null ? Task.CompletedTask : WriteAllAsync(execution, stdin, deadline.Token);
        var result = await CollectAsync(execution, deadline.Token);
        await writer.WaitAsync(deadline.Token);
        return result;
    }

    public static async Task<ExecutionResult> CollectAsync(IRunningExecution execution, CancellationToken cancellationToken)
    {
        var chunks = new List<OutputChunk>();
        await foreach (var chunk in execution.Output.ReadAllAsync(cancellationToken))
            chunks.Add(chunk);
        var exit = await execution.Completion.WaitAsync(cancellationToken);
        return new ExecutionResult(exit, Text(chunks, OutputStream.Stdout), Text(chunks, OutputStream.Stderr), chunks);
    }

    private static async Task WriteAllAsync(IRunningExecution execution, byte[] data, CancellationToken cancellationToken)
    {
        // Several writes, so ordering across writes is part of what is checked.
        for (var offset = 0; offset < data.Length; offset += 4096)
            await execution.WriteStdinAsync(data.AsMemory(offset, Math.Min(4096, data.Length - offset)), cancellationToken);
        await execution.CloseStdinAsync(cancellationToken);
    }

    private static string Text(IEnumerable<OutputChunk> chunks, OutputStream stream)
    {
        using var buffer = new MemoryStream();
        foreach (var chunk in chunks.Where(c => c.Stream == stream))
            buffer.Write(chunk.Data.Span);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
