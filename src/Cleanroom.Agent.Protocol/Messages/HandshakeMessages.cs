namespace Cleanroom.Agent.Protocol.Messages;

/// <summary>Host → agent, channel 0, first frame of a connection.</summary>
public sealed record HelloMessage(uint ProtocolVersion, string ClientName)
{
    public byte[] Encode() => new PayloadWriter().U32(ProtocolVersion).String(ClientName).ToArray();

    public static HelloMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "hello");
        return new HelloMessage(reader.U32(), reader.String());
    }
}

/// <summary>Agent → host, channel 0: who the agent is and what it can do.</summary>
public sealed record HelloReplyMessage(
    uint ProtocolVersion,
    string AgentVersion,
    uint MaxPayloadSize,
    bool IsInitProcess,
    IReadOnlyList<string> Capabilities)
{
    public byte[] Encode() => new PayloadWriter()
        .U32(ProtocolVersion)
        .String(AgentVersion)
        .U32(MaxPayloadSize)
        .U8(IsInitProcess ? (byte)1 : (byte)0)
        .StringList(Capabilities)
        .ToArray();

    public static HelloReplyMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "hello reply");
        return new HelloReplyMessage(reader.U32(), reader.String(), reader.U32(), reader.U8() != 0, reader.StringList());
    }
}
