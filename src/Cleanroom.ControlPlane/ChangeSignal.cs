namespace Cleanroom.ControlPlane;

/// <summary>
/// Wakes every waiter when something changed, without polling. A waiter takes <see cref="NextChange"/>
/// before it looks at the state, then awaits it; <see cref="Pulse"/> completes that task and installs a
/// fresh one, so a change between "look" and "await" is never missed.
/// </summary>
internal sealed class ChangeSignal
{
    private TaskCompletionSource _next = NewSource();

    public Task NextChange => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    // Asynchronous continuations: a pulse from a writer must not run followers' loops on the writer's thread.
    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
