namespace Cleanroom.Agent.Client;

/// <summary>Tuning of one connection to an agent.</summary>
public sealed record AgentConnectionOptions
{
    /// <summary>Sent in the hello, shows up in the agent's log.</summary>
    public string ClientName { get; init; } = "cleanroom";

    /// <summary>
    /// Bytes of output (stdout+stderr, or file data) an execution or file read may have in flight or
    /// buffered here before the agent must wait for the consumer: the bound on memory per execution.
    /// </summary>
    public int OutputWindow { get; init; } = 1024 * 1024;

    /// <summary>How long the agent has to answer the hello.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>What the agent said about itself in the handshake.</summary>
public sealed record AgentInfo(
    uint ProtocolVersion,
    string Version,
    int MaxPayloadSize,
    bool IsInitProcess,
    IReadOnlyList<string> Capabilities)
{
    public bool Supports(string capability) => Capabilities.Contains(capability);
}
