using Cleanroom.Backends;
using Cleanroom.ControlPlane.Output;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.ControlPlane;

// Execution lifecycle: create, read, cancel, wait, stdin.
public sealed partial class SandboxControl
{
    /// <summary>
    /// Records the execution QUEUED in a READY sandbox, starts it, and returns once it is RUNNING (or, if it
    /// could not start, its FAILED record). Its end is recorded in the background; see
    /// <see cref="WaitForExecutionAsync"/> and <see cref="StreamExecutionAsync"/>.
    /// </summary>
    public async Task<Execution> CreateExecutionAsync(CreateExecutionRequest request, CancellationToken cancellationToken) =>
        (await StartExecutionAsync(request, follow: false, cancellationToken).ConfigureAwait(false)).Execution;

    /// <summary>
    /// <see cref="CreateExecutionAsync"/> with a live follower subscribed before the command starts, so the returned
    /// output holds every byte the command writes, however much, not only what the log retains (a follower that
    /// subscribes after the start replays only the retained head). The follower holds the command back like a pipe:
    /// read the output or dispose the result.
    /// </summary>
    public async Task<FollowedExecution> CreateFollowedExecutionAsync(CreateExecutionRequest request, CancellationToken cancellationToken)
    {
        var (execution, run, live) = await StartExecutionAsync(request, follow: true, cancellationToken).ConfigureAwait(false);
        return new FollowedExecution(execution, run, live!);
    }

    private async Task<(Execution Execution, ExecutionRun Run, LiveSubscription? Live)> StartExecutionAsync(
        CreateExecutionRequest request, bool follow, CancellationToken cancellationToken)
    {
        EnsureOpen();
        RequestValidation.Check(request);
        var live = RequireUsable(request.SandboxId);
        await AwakeAsync(live, "woken for a command", cancellationToken).ConfigureAwait(false);
        if (request.Spec.Tty && !live.Backend!.Capabilities.Supports(CapabilityNames.Tty))
        {
            throw new CleanroomException(ErrorCode.BackendCapabilityMismatch,
                $"backend '{live.Backend.Name}' cannot give executions a terminal: it lacks {CapabilityNames.Tty}");
        }

        var execution = new Execution
        {
            Id = Ids.NewExecutionId(),
            SandboxId = request.SandboxId,
            Spec = request.Spec,
            Status = ExecutionStatus.Queued,
            CreatedAt = _time.GetUtcNow(),
            // The sandbox's first execution is the one it was made for: its time counts from the sandbox's create.
            Startup = Interlocked.Exchange(ref live.UnclaimedStartup, null) is { } startup ? ExecutionStartup.Of(startup) : null,
        };
        ExecutionRun run;
        lock (live.Gate)
        {
            // Checked again under the gate: a terminate that got here first must see every run it has to stop.
            if (live.Status != SandboxStatus.Ready)
                throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox {live.Id} is {StatusNames.Of(live.Status)}; it must be READY");
            var log = new ExecutionOutputLog(OutputLogFormat.PathFor(_options.StateDirectory, execution.Id), _options.MaxRetainedBytesPerStream);
            run = new ExecutionRun(
                execution.Id, live.Id, request.Spec, live.Handle!, log, _store, _time, _options.StopGracePeriod,
                _loggers.CreateLogger<ExecutionRun>(), finished => ForgetRun(live, finished))
            {
                RunBefore = live.RunBefore,
            };
            try
            {
                _store.InsertExecution(execution);
            }
            catch
            {
                log.Dispose();
                throw;
            }
            // Registered before its id is returned, so every lookup by id finds either the run or its final record.
            live.Runs[run.Id] = run;
            _runs[run.Id] = run;
            AttributeEgress(live);
        }
        // Subscribed before the run starts: nothing it writes can go by unseen.
        var subscription = follow ? run.Log.SubscribeLive() : null;
        _ = Task.Run(run.RunAsync);
        try
        {
            return (await run.Started.WaitAsync(cancellationToken).ConfigureAwait(false), run, subscription);
        }
        catch
        {
            subscription?.Dispose();
            throw;
        }
    }

    public Task<Execution> GetExecutionAsync(string executionId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(RequireExecution(executionId));
    }

    /// <summary>The executions of a sandbox, oldest first.</summary>
    public Task<IReadOnlyList<Execution>> ListExecutionsAsync(string sandboxId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        RequireSandbox(sandboxId);
        return Task.FromResult(_store.ListExecutions(sandboxId));
    }

    /// <summary>
    /// Sends SIGTERM, and SIGKILL if it has not exited after the grace period; the execution ends CANCELED.
    /// Returns the record as it is now (usually still RUNNING). Canceling an ended execution changes nothing.
    /// </summary>
    public Task<Execution> CancelExecutionAsync(string executionId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var execution = RequireExecution(executionId);
        if (_runs.TryGetValue(executionId, out var run))
        {
            run.RequestStop(ExecutionStatus.Canceled, "the execution was canceled", killNow: false);
            execution = RequireExecution(executionId);
        }
        return Task.FromResult(execution);
    }

    /// <summary>Waits for the execution to end and returns its final record.</summary>
    public async Task<Execution> WaitForExecutionAsync(string executionId, CancellationToken cancellationToken)
    {
        var execution = RequireExecution(executionId);
        if (_runs.TryGetValue(executionId, out var run))
            return await run.Finished.WaitAsync(cancellationToken).ConfigureAwait(false);
        return execution;
    }

    /// <summary>Writes to the stdin of a RUNNING execution created with <see cref="ExecutionSpec.Stdin"/>.</summary>
    public Task WriteStdinAsync(string executionId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        RequireRun(executionId).WriteStdinAsync(data, cancellationToken);

    /// <summary>Takes the one writer's place on a RUNNING execution's stdin (see <see cref="ExecutionRun.ClaimStdin"/>).</summary>
    public IDisposable ClaimStdin(string executionId) => RequireRun(executionId).ClaimStdin();

    /// <summary>Resizes a RUNNING execution's terminal.</summary>
    public Task ResizeExecutionAsync(string executionId, TerminalSize size, CancellationToken cancellationToken) =>
        RequireRun(executionId).ResizeAsync(size, cancellationToken);

    /// <summary>Sends a signal to a RUNNING execution's process group.</summary>
    public Task SignalExecutionAsync(string executionId, int signal, CancellationToken cancellationToken) =>
        RequireRun(executionId).SignalAsync(signal, cancellationToken);

    /// <summary>Closes stdin so the process sees end-of-file.</summary>
    public Task CloseStdinAsync(string executionId, CancellationToken cancellationToken) =>
        RequireRun(executionId).CloseStdinAsync(cancellationToken);

    private ExecutionRun RequireRun(string executionId)
    {
        var execution = RequireExecution(executionId);
        return _runs.TryGetValue(executionId, out var run)
            ? run
            : throw new CleanroomException(ErrorCode.InvalidArgument, $"execution {executionId} is {StatusNames.Of(execution.Status)}; it is not running");
    }

    private void ForgetRun(LiveSandbox live, ExecutionRun run)
    {
        lock (live.Gate)
        {
            live.Runs.Remove(run.Id);
            live.LastUsedTicks = _time.GetTimestamp();
            AttributeEgress(live);
        }
        _runs.TryRemove(run.Id, out _);
        live.FirstUseEnded.TrySetResult();
        ReportFullDisk(live, run.Id);
    }

    /// <summary>
    /// Egress events name the execution that caused them when exactly one runs; with several, a packet cannot be
    /// told apart by process, so none is named (the stage still is). Called under the sandbox's gate.
    /// </summary>
    private static void AttributeEgress(LiveSandbox live)
    {
        if (live.Handle is ISandboxStages stages)
            stages.AttributeEgressTo(live.Runs.Count == 1 ? live.Runs.Keys.First() : null);
    }
}
