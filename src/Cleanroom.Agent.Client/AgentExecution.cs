using System.Threading.Channels;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Client;

/// <summary>
/// A command running in the guest. Read <see cref="Output"/> until it completes (each read returns
/// credit to the agent, so an unread execution stalls its command, not the host's memory), then await
/// <see cref="Exit"/>. When the command could not start, Output is empty and Exit reports the failure.
/// </summary>
public sealed class AgentExecution : IChannelHandler
{
    private readonly AgentConnection _connection;
    private readonly bool _stdinRequested;
    private readonly OutputCreditLedger _ledger;
    private readonly Channel<OutputChunk> _output = Channel.CreateUnbounded<OutputChunk>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<AgentExitStatus> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StdinCreditGate _stdinCredit = new();
    private readonly SemaphoreSlim _stdinOrder = new(1, 1);

    internal AgentExecution(AgentConnection connection, uint id, bool stdinRequested, int outputWindow)
    {
        _connection = connection;
        Id = id;
        _stdinRequested = stdinRequested;
        _ledger = new OutputCreditLedger(outputWindow,
            grant => connection.SendAsync(FrameType.OutputCredit, id, new CreditMessage(grant).Encode()));
        Output = new CreditedOutputReader(_output.Reader, _ledger);
        _exit.Task.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
    }

    /// <summary>The channel number of this execution on its connection.</summary>
    public uint Id { get; }

    /// <summary>The command's pid in the guest; 0 when it did not start.</summary>
    public int Pid { get; private set; }

    /// <summary>Stdout and stderr chunks, each stream in order and interleaved as the agent read them.</summary>
    public ChannelReader<OutputChunk> Output { get; }

    /// <summary>Completes after the last output chunk; faults with <see cref="AgentException"/> when the connection is lost.</summary>
    public Task<AgentExitStatus> Exit => _exit.Task;

    public FlowControlCounters OutputFlow => _ledger.Counters;

    internal uint InitialOutputCredit => _ledger.InitialCredit;

    internal Task Started => _started.Task;

    /// <summary>Writes to the command's stdin, waiting while the command does not read it.</summary>
    public async Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        EnsureStdin();
        await _stdinOrder.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!data.IsEmpty)
            {
                var allowed = await _stdinCredit.TakeAsync(Math.Min(data.Length, ProtocolConstants.DataChunkSize), cancellationToken).ConfigureAwait(false);
                await _connection.SendAsync(FrameType.StdinData, Id, data[..allowed], cancellationToken).ConfigureAwait(false);
                data = data[allowed..];
            }
        }
        finally
        {
            _stdinOrder.Release();
        }
    }

    /// <summary>Ends the command's stdin after everything written so far (on a tty: the EOF character).</summary>
    public async Task CloseStdinAsync(CancellationToken cancellationToken = default)
    {
        EnsureStdin();
        await _stdinOrder.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _connection.SendAsync(FrameType.StdinClose, Id, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _stdinOrder.Release();
        }
    }

    /// <summary>Delivers a signal to the command's process group.</summary>
    public Task SignalAsync(int signal, CancellationToken cancellationToken = default) =>
        _connection.SendAsync(FrameType.Signal, Id, new SignalMessage(signal).Encode(), cancellationToken);

    public Task ResizeAsync(TerminalSize size, CancellationToken cancellationToken = default) =>
        _connection.SendAsync(FrameType.Resize, Id, new ResizeMessage(size.Rows, size.Columns).Encode(), cancellationToken);

    /// <summary>The agent sends SIGTERM now and SIGKILL after <paramref name="grace"/> if the command still runs.</summary>
    public Task CancelAsync(TimeSpan grace, CancellationToken cancellationToken = default) =>
        _connection.SendAsync(FrameType.Cancel, Id,
            new CancelMessage((uint)Math.Clamp(grace.TotalMilliseconds, 0, uint.MaxValue)).Encode(), cancellationToken);

    void IChannelHandler.OnFrame(Frame frame)
    {
        switch (frame.Type)
        {
            case FrameType.Started:
                var started = StartedMessage.Decode(frame.Payload.Span);
                Pid = (int)started.Pid;
                if (started.InitialStdinCredit > 0)
                    _stdinCredit.Grant(started.InitialStdinCredit);
                _started.TrySetResult();
                break;
            case FrameType.Stdout or FrameType.Stderr:
                if (!_ledger.TryReceive(frame.Payload.Length))
                    throw new AgentException(AgentClientErrorCodes.ProtocolViolation,
                        $"the agent sent more output on channel {Id} than it was granted");
                _output.Writer.TryWrite(new OutputChunk(frame.Type == FrameType.Stdout ? OutputStream.Stdout : OutputStream.Stderr, frame.Payload));
                break;
            case FrameType.StdinCredit:
                _stdinCredit.Grant(CreditMessage.Decode(frame.Payload.Span).Bytes);
                break;
            case FrameType.Exit:
                var exit = ExitMessage.Decode(frame.Payload.Span);
                End(new AgentExitStatus(exit.ExitCode, exit.Signal == 0 ? null : exit.Signal, null));
                break;
            case FrameType.Error:
                var error = ErrorMessage.Decode(frame.Payload.Span);
                End(new AgentExitStatus(error.ExitCode, null, new AgentExecutionFailure(error.Code, error.Message)));
                break;
            default:
                throw AgentRequestErrors.Unexpected(frame, "execution");
        }
    }

    void IChannelHandler.OnConnectionLost(AgentException error)
    {
        _output.Writer.TryComplete(error);
        _stdinCredit.Fail(error);
        _started.TrySetException(error);
        _exit.TrySetException(error);
    }

    private void End(AgentExitStatus status)
    {
        _connection.Forget(Id);
        _output.Writer.TryComplete();
        _stdinCredit.Fail(new AgentException(AgentClientErrorCodes.RequestFailed, $"execution {Id} has ended; its stdin is closed"));
        _started.TrySetResult();
        _exit.TrySetResult(status);
    }

    private void EnsureStdin()
    {
        if (!_stdinRequested)
            throw new InvalidOperationException("the execution was started without stdin (ExecutionRequest.Stdin)");
    }
}
