using Cleanroom.Backends;

namespace Cleanroom.ControlPlane.Setup;

/// <summary>One shell command of a policy (a block's <c>command</c>, <c>run.before</c>) run to its end in a sandbox.</summary>
internal static class SetupCommand
{
    public static ExecutionSpec Spec(string command, string cwd, IEnumerable<KeyValuePair<string, string>> env) => new()
    {
        Argv = ["/bin/sh", "-c", command],
        Cwd = cwd,
        Env = [.. env],
    };

    /// <summary>Runs it, handing each output chunk to <paramref name="output"/>; returns its exit.</summary>
    public static async Task<ExitStatus> RunAsync(IProvisionedSandbox sandbox, ExecutionSpec spec, Func<OutputChunk, Task> output, CancellationToken cancellationToken)
    {
        await using var process = await sandbox.StartExecutionAsync(spec, cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (var chunk in process.Output.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                await output(chunk).ConfigureAwait(false);
            return await process.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await process.SignalAsync(SignalNumbers.Kill, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }
}
