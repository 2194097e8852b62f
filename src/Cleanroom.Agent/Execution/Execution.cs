using Cleanroom.Agent.Interop;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Execution;

/// <summary>
/// One command on one channel, from Start to its last frame (Exit, or Error when it could not start).
/// Output frames, then Exit, are sent in that order: Exit waits for both output pumps and the reaped status.
/// Frames for it may arrive while it is still launching; signals and cancels are held until the pid is known.
/// </summary>
internal sealed class Execution
{
    private readonly uint _channel;
    private readonly StartMessage _start;
    private readonly OutboundFrames _outbound;
    private readonly ExecutionLauncher _launcher;
    private readonly ChildReaper _reaper;
    private readonly CreditWindow _credit;
    private readonly WakeSignal _stop = new();
    private readonly WakeSignal _exited = new();
    private readonly TaskCompletionSource<WaitStatus> _exitStatus = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _finished = new();
    private readonly object _lock = new();
    private readonly List<int> _pendingSignals = new();
    private CommandStdio? _stdio;
    private volatile StdinPump? _stdinPump;
    private int _pid;
    private uint? _pendingCancelGrace;

    public Execution(uint channel, StartMessage start, OutboundFrames outbound, ExecutionLauncher launcher, ChildReaper reaper)
    {
        _channel = channel;
        _start = start;
        _outbound = outbound;
        _launcher = launcher;
        _reaper = reaper;
        _credit = new CreditWindow(start.InitialOutputCredit);
    }

    /// <summary>Completes after the execution's last frame was sent and its descriptors closed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Launches on the calling thread (a worker, never the frame reader: launching waits for the helper).</summary>
    public void Run()
    {
        try
        {
            _stdio = _start.Tty
                ? CommandStdio.ForTerminal(_start.Rows, _start.Columns, _start.Stdin)
                : CommandStdio.ForPipes(_start.Stdin);
            var (pid, failure) = _launcher.Launch(_start, _stdio, status => { _exitStatus.TrySetResult(status); _exited.Set(); });
            if (failure is not null)
            {
                // The helper exits right after reporting; wait for it so no zombie and no pid stays behind. A direct
                // launch that failed started nothing (pid 0) and fails at once.
                if (pid > 0)
                    _exitStatus.Task.ContinueWith(_ => Fail(failure), TaskScheduler.Default);
                else
                    Fail(failure);
                return;
            }
            // The stdin pump must exist before Started goes out: the host may send stdin the moment it reads it.
            if (_stdio.Stdin is not null)
            {
                _stdinPump = new StdinPump(_stdio.Stdin, _start.Tty, _channel, _outbound, _stop);
                _stdinPump.Start();
            }
            _outbound.Send(FrameType.Started, _channel,
                new StartedMessage((uint)pid, _start.Stdin ? StdinPump.InitialCredit : 0).Encode());
            StartOutputPumps();
            lock (_lock)
            {
                _pid = pid;
                foreach (var signal in _pendingSignals)
                    SignalStarted(signal);
                if (_pendingCancelGrace is { } grace)
                    CancelStarted(grace);
            }
        }
        catch (Exception e)
        {
            AgentLog.Error($"channel {_channel}: {e.Message}");
            Fail(new ErrorMessage(AgentErrorCodes.SpawnFailed, $"could not start {_start.Argv[0]}: {e.Message}", 126));
        }
    }

    private void StartOutputPumps()
    {
        var stdio = _stdio!;
        var stdout = new OutputPump(stdio.Stdout, FrameType.Stdout, _channel, _outbound, _credit, _stop, _exited, stdio.PipeOutput);
        var pumps = new List<Task> { stdout.Completion, _exitStatus.Task };
        stdout.Start();
        if (stdio.Stderr is not null)
        {
            var stderr = new OutputPump(stdio.Stderr, FrameType.Stderr, _channel, _outbound, _credit, _stop, _exited, stdio.PipeOutput);
            pumps.Add(stderr.Completion);
            stderr.Start();
        }
        Task.WhenAll(pumps).ContinueWith(_ => Finish(), TaskScheduler.Default);
    }

    public void GrantOutput(uint bytes) => _credit.Grant(bytes);

    public void WriteStdin(byte[] data) => _stdinPump?.Enqueue(data);

    public void CloseStdin() => _stdinPump?.Close();

    public void Resize(ushort rows, ushort columns)
    {
        try
        {
            _stdio?.Terminal?.Resize(rows, columns);
        }
        catch (Exception e) when (e is UnixException or ObjectDisposedException)
        {
            AgentLog.Debug($"resize of channel {_channel}: {e.Message}");
        }
    }

    public void Signal(int signal)
    {
        lock (_lock)
        {
            if (_pid == 0)
                _pendingSignals.Add(signal);
            else
                SignalStarted(signal);
        }
    }

    /// <summary>SIGTERM now, SIGKILL after the grace period unless the command has exited by then.</summary>
    public void Cancel(uint graceMilliseconds)
    {
        lock (_lock)
        {
            if (_pid == 0)
                _pendingCancelGrace = graceMilliseconds;
            else
                CancelStarted(graceMilliseconds);
        }
    }

    private void CancelStarted(uint graceMilliseconds)
    {
        SignalStarted(Processes.SIGTERM);
        var token = _finished.Token;
        Task.Delay(TimeSpan.FromMilliseconds(graceMilliseconds), token)
            .ContinueWith(t => { if (!t.IsCanceled) SignalStarted(Processes.SIGKILL); }, TaskScheduler.Default);
    }

    /// <summary>
    /// Stops forwarding output (the host will not read it: the connection is ending), so the execution
    /// ends as soon as its command is reaped.
    /// </summary>
    public void Abandon()
    {
        _stop.Set();
        _credit.Close();
    }

    private void SignalStarted(int signal)
    {
        try
        {
            _reaper.SignalGroup(_pid, signal);
        }
        catch (UnixException e)
        {
            AgentLog.Error($"signal {signal} to channel {_channel}: {e.Message}");
        }
    }

    private void Finish()
    {
        var status = _exitStatus.Task.Result;
        _outbound.Send(FrameType.Exit, _channel,
            new ExitMessage(status.ShellExitCode, status.Signaled ? status.TermSignal : 0).Encode());
        Release();
    }

    private void Fail(ErrorMessage error)
    {
        _outbound.Send(FrameType.Error, _channel, error.Encode());
        Release();
    }

    private void Release()
    {
        _finished.Cancel();
        _stop.Set();
        _credit.Close();
        _stdinPump?.Stop();
        _stdio?.Dispose();
        _completion.TrySetResult();
        // A pump still inside poll holds a reference on these handles, so the descriptors close when it
        // leaves; a pump that polls later gets ObjectDisposedException and ends.
        _stop.Dispose();
        _exited.Dispose();
    }
}
