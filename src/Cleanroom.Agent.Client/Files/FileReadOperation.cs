using System.Threading.Channels;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Client;

/// <summary>The client side of a file read: chunks in, credit out as <see cref="Content"/> is read.</summary>
internal sealed class FileReadOperation : IChannelHandler
{
    private readonly AgentConnection _connection;
    private readonly uint _id;
    private readonly OutputCreditLedger _ledger;
    private readonly Channel<ReadOnlyMemory<byte>> _chunks = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FileReadOperation(AgentConnection connection, uint id, int window)
    {
        _connection = connection;
        _id = id;
        _ledger = new OutputCreditLedger(window,
            grant => connection.SendAsync(FrameType.OutputCredit, id, new CreditMessage(grant).Encode()));
        Content = new ChunkReadStream(_chunks.Reader, _ledger.Consumed);
    }

    public uint InitialCredit => _ledger.InitialCredit;

    /// <summary>Completes at the first frame: the agent opened the file (or faults: it could not).</summary>
    public Task Opened => _opened.Task;

    public Stream Content { get; }

    public void OnFrame(Frame frame)
    {
        switch (frame.Type)
        {
            case FrameType.FileData:
                if (!_ledger.TryReceive(frame.Payload.Length))
                    throw new AgentException(AgentClientErrorCodes.ProtocolViolation, $"the agent sent more file data on channel {_id} than it was granted");
                _chunks.Writer.TryWrite(frame.Payload);
                _opened.TrySetResult();
                break;
            case FrameType.FileEnd:
                _connection.Forget(_id);
                _chunks.Writer.TryComplete();
                _opened.TrySetResult();
                break;
            case FrameType.Error:
                _connection.Forget(_id);
                Fail(AgentRequestErrors.FromAgent(ErrorMessage.Decode(frame.Payload.Span)));
                break;
            default:
                throw AgentRequestErrors.Unexpected(frame, "file read");
        }
    }

    public void OnConnectionLost(AgentException error) => Fail(error);

    private void Fail(AgentException error)
    {
        _chunks.Writer.TryComplete(error);
        _opened.TrySetException(error);
        _ = _opened.Task.Exception;
    }
}
