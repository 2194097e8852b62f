using Cleanroom.Backends;
using Cleanroom.ControlPlane.Output;
using Cleanroom.ControlPlane.Store;
using Cleanroom.Errors;
using Cleanroom.Telemetry;
using Microsoft.Extensions.Logging;

namespace Cleanroom.ControlPlane;

/// <summary>
/// Supervises one execution from start to its recorded end: starts it, stores its output, enforces its
/// timeout, carries out cancel (SIGTERM, then SIGKILL after the grace period), and writes the final record.
/// All status changes of the execution after creation happen here, in <see cref="RunAsync"/>.
/// </summary>
internal sealed class ExecutionRun
{
    private readonly IProvisionedSandbox _sandbox;
    private readonly ControlPlaneStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _gracePeriod;
    private readonly ILogger _logger;
    private readonly Action<ExecutionRun> _onFinished;
    private readonly CancellationTokenSource _startCancel = new();
    // Canceled when the process has exited, which ends any pending SIGKILL escalation.
    private readonly CancellationTokenSource _exited = new();
    private readonly TaskCompletionSource<Execution> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Execution> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private IRunningExecution? _process;
    private StopRequest? _stop;
    private bool _killRequested;
    private ITimer? _timeoutTimer;
    private bool _stdinClaimed;
    private System.Diagnostics.Activity? _span;

    public ExecutionRun(
        string id, string sandboxId, ExecutionSpec spec, IProvisionedSandbox sandbox, ExecutionOutputLog log,
        ControlPlaneStore store, TimeProvider time, TimeSpan gracePeriod, ILogger logger, Action<ExecutionRun> onFinished)
    {
        Id = id;
        SandboxId = sandboxId;
        Spec = spec;
        Log = log;
        _sandbox = sandbox;
        _store = store;
        _time = time;
        _gracePeriod = gracePeriod;
        _logger = logger;
        _onFinished = onFinished;
    }

    /// <summary>The policy's <c>sandbox.run.before</c>, run to its end before this execution's own command; null when none.</summary>
    public RunBeforeCommand? RunBefore { get; init; }

    public string Id { get; }
    public string SandboxId { get; }
    public ExecutionSpec Spec { get; }
    public ExecutionOutputLog Log { get; }

    /// <summary>The record once the process runs (RUNNING), or once it could not start (final record).</summary>
    public Task<Execution> Started => _started.Task;

    /// <summary>The final record, after it is stored and the output log is complete.</summary>
    public Task<Execution> Finished => _finished.Task;

    /// <summary>Runs the execution to its recorded end. Never throws; a failure to record faults <see cref="Finished"/>.</summary>
    public async Task RunAsync()
    {
        IRunningExecution? process = null;
        // Ends in Finish, or here when recording failed; started from the creating call, so it is that RPC's child.
        using var span = _span = CleanroomTelemetry.StartSpan("execution", SandboxId, Id);
        try
        {
            try
            {
                if (RunBefore is { } before && await RunBeforeAsync(before).ConfigureAwait(false) is { } refused)
                {
                    Finish(refused);
                    return;
                }
                process = await _sandbox.StartExecutionAsync(Spec, _startCancel.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                var stop = CurrentStop();
                // A stop requested before the process existed wins over the start error it caused.
                Finish(stop is not null
                    ? Ending(stop.EndAs, null, null, stop.Message)
                    : Ending(ExecutionStatus.Failed, null, null, $"the execution could not start: {ex.Message}"));
                return;
            }
            await SuperviseAsync(process).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Storing the record itself failed; nothing more can be recorded, so waiters get the error.
            _logger.LogError(ex, "execution {ExecutionId} could not be recorded", Id);
            _exited.Cancel();
            Log.Complete();
            _onFinished(this);
            _started.TrySetException(ex);
            _finished.TrySetException(ex);
        }
        finally
        {
            if (process is not null)
                await process.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Asks the execution to end and be recorded as <paramref name="endAs"/>. The first reason wins;
    /// a later request can only make it harsher (<paramref name="killNow"/> skips SIGTERM and the grace period).
    /// </summary>
    public void RequestStop(ExecutionStatus endAs, string message, bool killNow)
    {
        IRunningExecution? process;
        bool first;
        lock (_gate)
        {
            if (_finished.Task.IsCompleted || (_stop is not null && (!killNow || _killRequested)))
                return;
            first = _stop is null;
            _stop ??= new StopRequest(endAs, message);
            _killRequested |= killNow;
            process = _process;
        }
        if (process is null)
        {
            _startCancel.Cancel();
            return;
        }
        _ = SendStopSignalsAsync(process, killNow || !first);
    }

    public async Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var process = ProcessForStdin();
        try
        {
            await process.WriteStdinAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, $"stdin of execution {Id} is closed: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Makes the caller the one session that writes stdin until it disposes the claim; a second claim fails with
    /// <see cref="ErrorCode.StdinAttached"/>, so two attached clients never interleave their keystrokes.
    /// </summary>
    public IDisposable ClaimStdin()
    {
        ProcessForStdin();
        lock (_gate)
        {
            if (_stdinClaimed)
                throw new CleanroomException(ErrorCode.StdinAttached,
                    $"another session writes the stdin of execution {Id}; attach without stdin to watch it");
            _stdinClaimed = true;
        }
        return new StdinClaim(this);
    }

    /// <summary>Tells the execution's terminal its new size; nothing happens once it has ended.</summary>
    public Task ResizeAsync(TerminalSize size, CancellationToken cancellationToken) =>
        RunningProcess() is { } process ? process.ResizeAsync(size, cancellationToken) : Task.CompletedTask;

    /// <summary>Sends a signal the caller chose (not a stop: the execution's end is recorded as the workload makes it).</summary>
    public Task SignalAsync(int signal, CancellationToken cancellationToken) =>
        RunningProcess() is { } process ? process.SignalAsync(signal, cancellationToken) : Task.CompletedTask;

    public async Task CloseStdinAsync(CancellationToken cancellationToken)
    {
        var process = ProcessForStdin();
        try
        {
            await process.CloseStdinAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Closing what is already closed or gone is the outcome the caller wanted.
        }
    }

    private async Task SuperviseAsync(IRunningExecution process)
    {
        StopRequest? stopBeforeStart;
        bool kill;
        lock (_gate)
        {
            _process = process;
            stopBeforeStart = _stop;
            kill = _killRequested;
        }
        // The timer exists before RUNNING is recorded, so anyone who sees RUNNING can rely on the deadline.
        if (Spec.Timeout is { } timeout)
        {
            _timeoutTimer = _time.CreateTimer(
                _ => RequestStop(ExecutionStatus.TimedOut, $"the execution timed out after {timeout}", killNow: false),
                null, timeout, Timeout.InfiniteTimeSpan);
        }
        var running = _store.MarkExecutionRunning(Id, _time.GetUtcNow());
        _started.TrySetResult(running);
        if (stopBeforeStart is not null)
            _ = SendStopSignalsAsync(process, kill);

        var outputProblem = await PumpOutputAsync(process).ConfigureAwait(false);
        var exit = await process.Completion.ConfigureAwait(false);
        _exited.Cancel();
        _timeoutTimer?.Dispose();

        var stop = CurrentStop();
        var ending = stop is not null
            ? Ending(stop.EndAs, exit.ExitCode, exit.Signal, stop.Message)
            : Ending(exit.ExitCode == 0 ? ExecutionStatus.Succeeded : ExecutionStatus.Failed, exit.ExitCode, exit.Signal, null);
        if (outputProblem is not null)
            ending = ending with { FailureMessage = ending.FailureMessage is null ? outputProblem : $"{ending.FailureMessage}; {outputProblem}" };
        Finish(ending);
    }

    /// <summary>
    /// Runs <c>run.before</c> with the execution's env and working directory (the repository path when it has none).
    /// Its output is kept aside: on success the execution's output is its own command's alone; on failure the kept
    /// tail becomes the execution's stderr and the ending says <c>run_before_failed</c>, and the command never starts.
    /// </summary>
    private async Task<ExecutionEnding?> RunBeforeAsync(RunBeforeCommand before)
    {
        var tail = new Setup.CommandOutputTail(16 * 1024);
        var spec = Setup.SetupCommand.Spec(before.Command, Spec.Cwd ?? before.RepositoryPath, Spec.Env);
        var exit = await Setup.SetupCommand.RunAsync(_sandbox, spec, chunk =>
        {
            tail.Add(chunk);
            return Task.CompletedTask;
        }, _startCancel.Token).ConfigureAwait(false);
        if (exit.ExitCode == 0)
            return null;
        var output = tail.ToString();
        if (output.Length > 0)
            await Log.AppendAsync(new OutputChunk(OutputStream.Stderr, System.Text.Encoding.UTF8.GetBytes(output + "\n")), CancellationToken.None).ConfigureAwait(false);
        return Ending(ExecutionStatus.Failed, exit.ExitCode, exit.Signal,
            $"{ErrorCode.RunBeforeFailed}: sandbox.run.before exited {exit.ExitCode}; the command was not started");
    }

    /// <summary>Stores output until the backend completes the channel; returns a problem to report, if storing failed.</summary>
    private async Task<string?> PumpOutputAsync(IRunningExecution process)
    {
        string? problem = null;
        await foreach (var chunk in process.Output.ReadAllAsync().ConfigureAwait(false))
        {
            if (problem is not null)
                continue; // keep draining: a full channel would stall the workload forever
            try
            {
                await Log.AppendAsync(chunk, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                _logger.LogError(ex, "output of execution {ExecutionId} could not be stored", Id);
                problem = $"output could not be stored after {Log.Summary(OutputStream.Stdout).RetainedBytes + Log.Summary(OutputStream.Stderr).RetainedBytes} bytes: {ex.Message}";
            }
        }
        return problem;
    }

    private async Task SendStopSignalsAsync(IRunningExecution process, bool killNow)
    {
        if (killNow)
        {
            await SignalQuietlyAsync(process, SignalNumbers.Kill).ConfigureAwait(false);
            return;
        }
        // The grace timer is created before SIGTERM is sent, so it is already counting when anyone observes the signal.
        var grace = Task.Delay(_gracePeriod, _time, _exited.Token);
        await SignalQuietlyAsync(process, SignalNumbers.Terminate).ConfigureAwait(false);
        try
        {
            await grace.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // exited within the grace period
        }
        await SignalQuietlyAsync(process, SignalNumbers.Kill).ConfigureAwait(false);
    }

    private async Task SignalQuietlyAsync(IRunningExecution process, int signal)
    {
        try
        {
            await process.SignalAsync(signal, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The process may have exited between the decision and the signal; its exit is recorded anyway.
            _logger.LogDebug(ex, "signal {Signal} to execution {ExecutionId} failed", signal, Id);
        }
    }

    private void Finish(ExecutionEnding ending)
    {
        var record = _store.FinishExecution(Id, ending);
        RecordTelemetry(record);
        Log.Complete();
        Log.Dispose();
        _onFinished(this);
        _started.TrySetResult(record);
        _finished.TrySetResult(record);
        _logger.LogInformation("execution {ExecutionId} ended {Status} (exit {ExitCode})", Id, StatusNames.Of(record.Status), record.ExitCode);
    }

    private void RecordTelemetry(Execution record)
    {
        var status = new KeyValuePair<string, object?>(TelemetryTags.Status, StatusNames.Of(record.Status));
        if (record.FinishedAt is { } finished)
            CleanroomMetrics.ExecutionDuration.Record((finished - record.CreatedAt).TotalSeconds, status);
        CleanroomMetrics.OutputBytes.Add(record.Stdout?.TotalBytes ?? 0, new KeyValuePair<string, object?>("stream", "stdout"));
        CleanroomMetrics.OutputBytes.Add(record.Stderr?.TotalBytes ?? 0, new KeyValuePair<string, object?>("stream", "stderr"));
        if (_span is null) return;
        _span.SetTag(TelemetryTags.Status, StatusNames.Of(record.Status));
        if (record.ExitCode is { } exitCode) _span.SetTag("process.exit.code", exitCode);
        if (record.Status != ExecutionStatus.Succeeded)
            _span.SetStatus(System.Diagnostics.ActivityStatusCode.Error, record.FailureMessage ?? $"exit {record.ExitCode}");
    }

    private ExecutionEnding Ending(ExecutionStatus status, int? exitCode, int? signal, string? message) =>
        new(status, exitCode, signal, message, _time.GetUtcNow(), Log.Summary(OutputStream.Stdout), Log.Summary(OutputStream.Stderr));

    private StopRequest? CurrentStop()
    {
        lock (_gate) return _stop;
    }

    private IRunningExecution ProcessForStdin()
    {
        if (!Spec.Stdin)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"execution {Id} was not created with stdin");
        lock (_gate)
        {
            if (_finished.Task.IsCompleted)
                throw new CleanroomException(ErrorCode.InvalidArgument, $"execution {Id} has ended");
            return _process ?? throw new CleanroomException(ErrorCode.InvalidArgument, $"execution {Id} has not started");
        }
    }

    private IRunningExecution? RunningProcess()
    {
        lock (_gate) return _finished.Task.IsCompleted ? null : _process;
    }

    private sealed record StopRequest(ExecutionStatus EndAs, string Message);

    private sealed class StdinClaim(ExecutionRun run) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
                return;
            lock (run._gate) run._stdinClaimed = false;
        }
    }
}
