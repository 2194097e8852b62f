using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Client;

/// <summary>The client side of a file write: waits for the agent's FileWritten or Error.</summary>
internal sealed class FileWriteOperation(AgentConnection connection, uint id) : IChannelHandler
{
    private readonly TaskCompletionSource<long> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The bytes the agent wrote; faults when it refused or failed.</summary>
    public Task<long> Completion => _completion.Task;

    public void OnFrame(Frame frame)
    {
        switch (frame.Type)
        {
            case FrameType.FileWritten:
                connection.Forget(id);
                _completion.TrySetResult((long)FileWrittenMessage.Decode(frame.Payload.Span).Bytes);
                break;
            case FrameType.Error:
                connection.Forget(id);
                _completion.TrySetException(AgentRequestErrors.FromAgent(ErrorMessage.Decode(frame.Payload.Span)));
                break;
            default:
                throw AgentRequestErrors.Unexpected(frame, "file write");
        }
    }

    public void OnConnectionLost(AgentException error) => _completion.TrySetException(error);
}
