using System.Runtime.CompilerServices;
using Cleanroom.ControlPlane.Output;

namespace Cleanroom.ControlPlane;

// Replay-then-follow streams of execution output and sandbox events. Followers wait on change signals
// (no polling), and any number of them can follow the same execution or sandbox.
public sealed partial class SandboxControl
{
    private const int EventPageSize = 256;

    /// <summary>
    /// Everything retained of the execution's output from the start, then live output as it is written,
    /// then one <see cref="ExecutionExited"/>. Works the same for an execution that ended long ago (also
    /// across restarts): the replay then simply runs into the exit.
    /// </summary>
    public async IAsyncEnumerable<ExecutionStreamItem> StreamExecutionAsync(string executionId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var execution = RequireExecution(executionId);
        _runs.TryGetValue(executionId, out var run);
        using var reader = new OutputLogReader(OutputLogFormat.PathFor(_options.StateDirectory, executionId));

        if (run is null)
        {
            // Ended: no writer is left, so the file as it is now is all there will ever be.
            var length = reader.CurrentLength;
            while (await reader.ReadNextAsync(length, cancellationToken).ConfigureAwait(false) is { } item)
                yield return item;
            yield return new ExecutionExited(RequireExecution(execution.Id));
            yield break;
        }

        using (var live = run.Log.SubscribeLive())
        {
            // Complete already: the file holds everything (the same as for an ended execution).
            var replayUpTo = live?.ReplayUpTo ?? reader.CurrentLength;
            while (await reader.ReadNextAsync(replayUpTo, cancellationToken).ConfigureAwait(false) is { } item)
                yield return item;
            if (live is not null)
            {
                // From here on every chunk arrives whole, also past the retention limit of the file.
                await foreach (var chunk in live.Chunks.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                    yield return new ExecutionOutput(chunk.Stream, chunk.Data);
            }
        }
        yield return new ExecutionExited(await run.Finished.WaitAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The sandbox's events with seq greater than <paramref name="afterSeq"/>, then new ones as they are
    /// recorded, ending after the event that moved the sandbox to STOPPED or FAILED.
    /// </summary>
    public async IAsyncEnumerable<SandboxEvent> StreamSandboxEventsAsync(string sandboxId, long afterSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        RequireSandbox(sandboxId);
        var signal = _store.EventSignal(sandboxId);
        var last = afterSeq;
        while (true)
        {
            var nextChange = signal.NextChange;
            // Status before events: a terminal status read here is already covered by the events read next,
            // because a status change and its event are committed together.
            var ended = LifecycleTransitions.IsTerminal(RequireSandbox(sandboxId).Status);
            IReadOnlyList<SandboxEvent> page;
            do
            {
                page = _store.ReadEvents(sandboxId, last, EventPageSize);
                foreach (var item in page)
                {
                    last = item.Seq;
                    yield return item;
                }
            } while (page.Count == EventPageSize);
            if (ended)
            {
                _store.ForgetEventSignal(sandboxId); // no more events will come for an ended sandbox
                yield break;
            }
            await nextChange.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The sandbox's events recorded so far, without waiting for more.</summary>
    public IReadOnlyList<SandboxEvent> ReadSandboxEvents(string sandboxId)
    {
        RequireSandbox(sandboxId);
        var events = new List<SandboxEvent>();
        IReadOnlyList<SandboxEvent> page;
        do
        {
            page = _store.ReadEvents(sandboxId, events.Count == 0 ? 0 : events[^1].Seq, EventPageSize);
            events.AddRange(page);
        } while (page.Count == EventPageSize);
        return events;
    }

    /// <summary>
    /// The execution's output retained so far, without waiting for more; ends with <see cref="ExecutionExited"/>
    /// only when the execution has already ended.
    /// </summary>
    public async IAsyncEnumerable<ExecutionStreamItem> ReadExecutionOutputAsync(string executionId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var execution = RequireExecution(executionId);
        _runs.TryGetValue(executionId, out var run);
        using var reader = new OutputLogReader(OutputLogFormat.PathFor(_options.StateDirectory, executionId));
        var length = run is null ? reader.CurrentLength : run.Log.Snapshot().CommittedLength;
        while (await reader.ReadNextAsync(length, cancellationToken).ConfigureAwait(false) is { } item)
            yield return item;
        if (run is null)
            yield return new ExecutionExited(RequireExecution(execution.Id));
    }

    /// <summary>
    /// Records an event another component observed about a sandbox (e.g. a blocked connection), so it reaches
    /// the sandbox's event stream and its durable history like the control plane's own events.
    /// </summary>
    public SandboxEvent RecordEvent(string sandboxId, string type, string payloadJson)
    {
        EnsureOpen();
        RequireSandbox(sandboxId);
        return _store.AppendEvent(sandboxId, _time.GetUtcNow(), type, payloadJson);
    }
}
