namespace Cleanroom.Agent.Client;

/// <summary>
/// Stdin bytes the agent lets the host send. Writers wait here when the command is not reading,
/// so stdin data never piles up in the agent.
/// </summary>
internal sealed class StdinCreditGate
{
    private readonly object _lock = new();
    private long _available;
    private TaskCompletionSource _changed = NewSignal();
    private Exception? _failure;

    public void Grant(uint bytes)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _available += bytes;
            changed = _changed;
            _changed = NewSignal();
        }
        changed.TrySetResult();
    }

    public void Fail(Exception failure)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _failure ??= failure;
            changed = _changed;
        }
        changed.TrySetResult();
    }

    /// <summary>Takes between 1 and <paramref name="max"/> bytes of credit, waiting until some is available.</summary>
    public async Task<int> TakeAsync(int max, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_failure is not null)
                    throw _failure;
                if (_available > 0)
                {
                    var taken = (int)Math.Min(max, _available);
                    _available -= taken;
                    return taken;
                }
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
