using Cleanroom.Errors;

namespace Cleanroom.Agent.Client;

/// <summary>
/// A failure talking to a guest agent. <see cref="CleanroomException.Code"/> is one of
/// <see cref="AgentClientErrorCodes"/> or a shared <see cref="ErrorCode"/>; <see cref="AgentCode"/> is the
/// agent's own code when the agent reported the error (see Cleanroom.Agent.Protocol.AgentErrorCodes).
/// </summary>
public sealed class AgentException : CleanroomException
{
    public AgentException(string code, string message, string? agentCode = null, Exception? inner = null)
        : base(code, message, inner)
    {
        AgentCode = agentCode;
    }

    public string? AgentCode { get; }
}

/// <summary>Stable codes of agent failures (to be adopted into <see cref="ErrorCode"/> by the owners of that list).</summary>
public static class AgentClientErrorCodes
{
    /// <summary>The connection to the agent ended or failed; every pending operation on it failed.</summary>
    public const string ConnectionLost = "agent_connection_lost";

    /// <summary>The agent sent something the protocol does not allow (treated as hostile: the connection is closed).</summary>
    public const string ProtocolViolation = "agent_protocol_violation";

    /// <summary>The agent speaks another protocol version or did not answer the handshake.</summary>
    public const string Incompatible = "agent_incompatible";

    /// <summary>The agent refused or failed a request (see <see cref="AgentException.AgentCode"/>).</summary>
    public const string RequestFailed = "agent_request_failed";
}
