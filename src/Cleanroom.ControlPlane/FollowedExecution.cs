using System.Runtime.CompilerServices;
using Cleanroom.ControlPlane.Output;

namespace Cleanroom.ControlPlane;

/// <summary>
/// An execution started with a live follower already subscribed (<see cref="SandboxControl.CreateFollowedExecutionAsync"/>):
/// <see cref="Output"/> is all of its output, then its end. Disposing unsubscribes; until then a follower that does
/// not read holds the command back.
/// </summary>
public sealed class FollowedExecution : IDisposable
{
    private readonly ExecutionRun _run;
    private readonly LiveSubscription _live;

    internal FollowedExecution(Execution execution, ExecutionRun run, LiveSubscription live)
    {
        Execution = execution;
        _run = run;
        _live = live;
    }

    /// <summary>The record as it was once the command started (RUNNING, or FAILED if it could not start).</summary>
    public Execution Execution { get; }

    /// <summary>Every output chunk from the first byte on, then one <see cref="ExecutionExited"/>. Read once.</summary>
    public async IAsyncEnumerable<ExecutionStreamItem> Output([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The log completes the channel after the final record is stored, so the exit read next is the final one.
        await foreach (var chunk in _live.Chunks.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            yield return new ExecutionOutput(chunk.Stream, chunk.Data);
        yield return new ExecutionExited(await _run.Finished.WaitAsync(cancellationToken).ConfigureAwait(false));
    }

    public void Dispose() => _live.Dispose();
}
