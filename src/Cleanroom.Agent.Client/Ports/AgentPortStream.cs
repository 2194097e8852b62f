using System.Threading.Channels;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Client.Ports;

/// <summary>
/// A TCP connection the agent opened to a port on the sandbox's loopback, as a duplex stream. Reads return what the
/// program sent (0 once it closed its side); writes wait for the agent's credit, so nothing piles up in the agent when
/// the program does not read. <see cref="ShutdownWriteAsync"/> is TCP's half-close. Disposing a stream whose
/// conversation is not finished drops the connection in the sandbox.
/// </summary>
public sealed class AgentPortStream : Stream, IChannelHandler
{
    private readonly AgentConnection _connection;
    private readonly uint _id;
    private readonly OutputCreditLedger _ledger;
    private readonly StdinCreditGate _sendCredit = new();
    private readonly SemaphoreSlim _writeOrder = new(1, 1);
    private readonly Channel<ReadOnlyMemory<byte>> _chunks = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ChunkReadStream _content;
    private volatile bool _receiveDone;
    private volatile bool _sendDone;
    private int _disposed;

    internal AgentPortStream(AgentConnection connection, uint id, ushort port, int window)
    {
        _connection = connection;
        _id = id;
        Port = port;
        _ledger = new OutputCreditLedger(window,
            grant => connection.SendAsync(FrameType.OutputCredit, id, new CreditMessage(grant).Encode()));
        _content = new ChunkReadStream(_chunks.Reader, _ledger.Consumed);
    }

    public ushort Port { get; }

    internal uint InitialCredit => _ledger.InitialCredit;

    /// <summary>Completes when the agent connected, faults with <c>connection_refused</c> when nothing listens.</summary>
    internal Task Connected => _connected.Task;

    void IChannelHandler.OnFrame(Frame frame)
    {
        switch (frame.Type)
        {
            case FrameType.PortConnected:
                _sendCredit.Grant(PortConnectedMessage.Decode(frame.Payload.Span).InitialCredit);
                _connected.TrySetResult();
                break;
            case FrameType.PortData:
                if (!_ledger.TryReceive(frame.Payload.Length))
                    throw new AgentException(AgentClientErrorCodes.ProtocolViolation, $"the agent sent more port data on channel {_id} than it was granted");
                _chunks.Writer.TryWrite(frame.Payload);
                break;
            case FrameType.StdinCredit:
                _sendCredit.Grant(CreditMessage.Decode(frame.Payload.Span).Bytes);
                break;
            case FrameType.PortEnd:
                _receiveDone = true;
                _chunks.Writer.TryComplete();
                ForgetWhenFinished();
                break;
            case FrameType.Error:
                _receiveDone = _sendDone = true;
                _connection.Forget(_id);
                Fail(AgentRequestErrors.FromAgent(ErrorMessage.Decode(frame.Payload.Span)));
                break;
            default:
                throw AgentRequestErrors.Unexpected(frame, "port connection");
        }
    }

    void IChannelHandler.OnConnectionLost(AgentException error) => Fail(error);

    private void Fail(AgentException error)
    {
        _chunks.Writer.TryComplete(error);
        _sendCredit.Fail(error);
        _connected.TrySetException(error);
        _ = _connected.Task.Exception;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _content.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _content.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeOrder.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_sendDone)
                throw new IOException($"the connection to sandbox port {Port} is closed for writing");
            while (!buffer.IsEmpty)
            {
                var allowed = await _sendCredit.TakeAsync(Math.Min(buffer.Length, ProtocolConstants.DataChunkSize), cancellationToken).ConfigureAwait(false);
                await _connection.SendAsync(FrameType.PortData, _id, buffer[..allowed], cancellationToken).ConfigureAwait(false);
                buffer = buffer[allowed..];
            }
        }
        finally
        {
            _writeOrder.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    /// <summary>Sends nothing more: the program in the sandbox reads end of file once it has read everything before.</summary>
    public async Task ShutdownWriteAsync(CancellationToken cancellationToken = default)
    {
        await _writeOrder.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_sendDone)
                return;
            _sendDone = true;
            await _connection.SendAsync(FrameType.PortEnd, _id, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeOrder.Release();
        }
        ForgetWhenFinished();
    }

    private void ForgetWhenFinished()
    {
        if (_receiveDone && _sendDone)
            _connection.Forget(_id);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (!(_receiveDone && _sendDone))
        {
            _connection.Forget(_id);
            try
            {
                await _connection.SendAsync(FrameType.PortClose, _id, ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
            }
            catch (AgentException)
            {
                // The connection to the agent is gone, and the port connection with it.
            }
        }
        _chunks.Writer.TryComplete();
        _sendCredit.Fail(new ObjectDisposedException(nameof(AgentPortStream)));
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Volatile.Read(ref _disposed) == 0)
            DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
