using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;
using Cleanroom.Errors;

namespace Cleanroom.Agent.Client;

/// <summary>Turns the agent's Error frames and unexpected frames into exceptions.</summary>
internal static class AgentRequestErrors
{
    public static AgentException FromAgent(ErrorMessage error) => new(
        error.Code switch
        {
            AgentErrorCodes.FileNotFound => ErrorCode.NotFound,
            AgentErrorCodes.InvalidPath or AgentErrorCodes.BadRequest or AgentErrorCodes.NotADirectory => ErrorCode.InvalidArgument,
            AgentErrorCodes.TooLarge => ErrorCode.TooLarge,
            _ => AgentClientErrorCodes.RequestFailed,
        },
        error.Message,
        error.Code);

    public static AgentException Unexpected(Frame frame, string channelKind) => new(
        AgentClientErrorCodes.ProtocolViolation,
        $"the agent sent a {frame.Type} frame on {channelKind} channel {frame.Channel}");
}
