using Cleanroom.Backends;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.ControlPlane;

/// <summary>
/// Suspend and wake. A suspend asks the backend to checkpoint a READY sandbox in which nothing runs and records
/// SUSPENDED; a wake restores it and records READY with why it was woken. Anything that needs the guest (an execution,
/// a file, a tree, a port) wakes a SUSPENDED sandbox first, transparently. A wake that fails records FAILED with
/// <c>wake_failed</c>; the backend keeps the checkpoint for inspection. One suspend or wake runs at a time per sandbox
/// (<see cref="LiveSandbox.Transitioning"/>); everything else waits for it.
/// </summary>
public sealed partial class SandboxControl
{
    /// <summary>
    /// Suspends a READY sandbox. Idempotent for one already SUSPENDED. <c>suspend_failed</c> when commands run in it,
    /// its backend cannot suspend it, or the checkpoint failed (it then stays READY if it still runs, else FAILED).
    /// </summary>
    public async Task<Sandbox> SuspendSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var sandbox = RequireSandbox(sandboxId);
        if (!_live.TryGetValue(sandboxId, out var live))
            throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox {sandboxId} is {StatusNames.Of(sandbox.Status)}; only a READY sandbox can be suspended");
        await WaitForTransitionAsync(live, cancellationToken).ConfigureAwait(false);
        Task suspending;
        lock (live.Gate)
        {
            if (live.Status == SandboxStatus.Suspended)
                return RequireSandbox(sandboxId);
            if (live.Status != SandboxStatus.Ready || live.Handle is null || live.Termination is not null)
                throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox {sandboxId} is {StatusNames.Of(live.Status)}; only a READY sandbox can be suspended");
            if (live.Runs.Count > 0)
                throw new CleanroomException(ErrorCode.SuspendFailed, $"sandbox {sandboxId} cannot be suspended while {live.Runs.Count} command(s) run in it");
            if (live.Handle is not ISuspendableSandbox)
                throw new CleanroomException(ErrorCode.SuspendFailed, $"sandbox {sandboxId} cannot be suspended: backend '{live.Backend?.Name}' does not support it");
            suspending = live.Transitioning = Task.Run(() => SuspendLiveAsync(live, (ISuspendableSandbox)live.Handle));
        }
        await suspending.WaitAsync(cancellationToken).ConfigureAwait(false);
        return RequireSandbox(sandboxId);
    }

    /// <summary>Wakes a SUSPENDED sandbox (a no-op for one READY): <c>wake_failed</c> when it cannot be woken.</summary>
    public async Task<Sandbox> ResumeSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var sandbox = RequireSandbox(sandboxId);
        if (!_live.TryGetValue(sandboxId, out var live))
            throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox {sandboxId} is {StatusNames.Of(sandbox.Status)}; only a SUSPENDED sandbox can be resumed");
        await AwakeAsync(live, "resume requested", cancellationToken).ConfigureAwait(false);
        return RequireSandbox(sandboxId);
    }

    /// <summary>
    /// The running handle of a READY sandbox, waking it first when it is SUSPENDED (<paramref name="reason"/> goes in its
    /// event). Throws what <see cref="RequireReady"/> throws for any other status, and <c>wake_failed</c> when the wake failed.
    /// </summary>
    private async Task<IProvisionedSandbox> AwakeAsync(LiveSandbox live, string reason, CancellationToken cancellationToken)
    {
        await WaitForTransitionAsync(live, cancellationToken).ConfigureAwait(false);
        Task waking;
        lock (live.Gate)
        {
            live.LastUsedTicks = _time.GetTimestamp();
            if (live.Status == SandboxStatus.Ready && live.Handle is { } handle)
                return handle;
            if (live.Status != SandboxStatus.Suspended || live.Suspended is null)
                throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox {live.Id} is {StatusNames.Of(live.Status)}; it must be READY");
            waking = live.Transitioning = Task.Run(() => WakeLiveAsync(live, live.Suspended, reason));
        }
        await waking.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (live.Gate)
        {
            if (live.Status == SandboxStatus.Ready && live.Handle is { } woken)
                return woken;
        }
        var now = RequireSandbox(live.Id);
        throw new CleanroomException(now.FailureCode ?? ErrorCode.WakeFailed, now.FailureMessage ?? $"sandbox {live.Id} is {StatusNames.Of(now.Status)}");
    }

    private static async Task WaitForTransitionAsync(LiveSandbox live, CancellationToken cancellationToken)
    {
        Task? pending;
        lock (live.Gate)
            pending = live.Transitioning;
        if (pending is not null)
            await pending.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Runs the backend's suspend and records the outcome; never faults (the status says what happened).</summary>
    private async Task SuspendLiveAsync(LiveSandbox live, ISuspendableSandbox handle)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var suspended = await handle.SuspendAsync(CancellationToken.None).ConfigureAwait(false);
            lock (live.Gate)
            {
                live.Handle = null;
                live.Suspended = suspended;
                live.Transitioning = null;
                // A terminate that came meanwhile (STOPPING) removes the suspended sandbox once this has ended.
                if (live.Status == SandboxStatus.Ready)
                    Transition(live, SandboxStatus.Suspended, message: $"suspended in {clock.ElapsedMilliseconds} ms: no process runs; the next use wakes it");
            }
        }
        catch (Exception e)
        {
            lock (live.Gate)
            {
                live.Transitioning = null;
                if (e is SandboxSuspendException { Running: { } running })
                {
                    live.Handle = running;
                    _store.AppendEvent(live.Id, _time.GetUtcNow(), SandboxEventTypes.SuspendFailed, Store.JsonColumns.Object(("code", ErrorCode.SuspendFailed), ("message", e.Message)));
                    _logger.LogWarning("sandbox {SandboxId} was not suspended and runs on: {Reason}", live.Id, e.Message);
                }
                else
                {
                    live.Handle = null;
                    if (live.Status == SandboxStatus.Ready)
                        Transition(live, SandboxStatus.Failed, ErrorCode.SuspendFailed, $"suspending the sandbox failed and it could not be brought back: {e.Message}");
                }
            }
            throw;
        }
    }

    /// <summary>Runs the backend's resume within the wake timeout and records READY or FAILED (wake_failed).</summary>
    private async Task WakeLiveAsync(LiveSandbox live, ISuspendedSandbox suspended, string reason)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            using var deadline = new CancellationTokenSource(_options.WakeTimeout);
            IProvisionedSandbox handle;
            try
            {
                handle = await suspended.ResumeAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (deadline.IsCancellationRequested)
            {
                throw new CleanroomException(ErrorCode.WakeFailed, $"the sandbox did not wake within {_options.WakeTimeout.TotalSeconds:0} s (sandbox_lifecycle.wake_timeout_seconds)", e);
            }
            lock (live.Gate)
            {
                live.Suspended = null;
                live.Handle = handle;
                live.Transitioning = null;
                live.LastUsedTicks = _time.GetTimestamp();
                if (live.Status == SandboxStatus.Suspended)
                    Transition(live, SandboxStatus.Ready, message: $"woken in {clock.ElapsedMilliseconds} ms ({reason})");
            }
        }
        catch (Exception e)
        {
            lock (live.Gate)
            {
                live.Transitioning = null;
                live.Suspended = null;
                var message = e is CleanroomException { Code: ErrorCode.WakeFailed } ? e.Message : $"the sandbox could not be woken: {e.Message}";
                _logger.LogError(e, "sandbox {SandboxId}: wake failed", live.Id);
                if (live.Status == SandboxStatus.Suspended)
                    Transition(live, SandboxStatus.Failed, ErrorCode.WakeFailed, message);
            }
        }
    }

    /// <summary>A READY or SUSPENDED sandbox's live state (a suspended one is woken by whoever uses it), else why not.</summary>
    private LiveSandbox RequireUsable(string sandboxId)
    {
        var sandbox = RequireSandbox(sandboxId);
        if (_live.TryGetValue(sandboxId, out var live))
        {
            lock (live.Gate)
            {
                if ((live.Status == SandboxStatus.Ready && live.Handle is not null) || live.Status == SandboxStatus.Suspended)
                    return live;
            }
        }
        throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox {sandboxId} is {StatusNames.Of(sandbox.Status)}; it must be READY");
    }
}
