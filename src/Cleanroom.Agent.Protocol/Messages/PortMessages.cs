namespace Cleanroom.Agent.Protocol.Messages;

/// <summary>
/// Host → agent: open a TCP connection to <see cref="Port"/> on the sandbox's loopback (127.0.0.1, else ::1).
/// The agent answers <see cref="FrameType.PortConnected"/>, or an Error (<c>connection_refused</c>) as the
/// channel's only frame. <see cref="InitialCredit"/> is what the agent may send before the host grants more.
/// </summary>
public sealed record PortConnectMessage(ushort Port, uint InitialCredit)
{
    public byte[] Encode() => new PayloadWriter().U16(Port).U32(InitialCredit).ToArray();

    public static PortConnectMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "port connect");
        return new PortConnectMessage(reader.U16(), reader.U32());
    }
}

/// <summary>Agent → host: connected; the host may send <see cref="InitialCredit"/> bytes of PortData.</summary>
public sealed record PortConnectedMessage(uint InitialCredit)
{
    public byte[] Encode() => new PayloadWriter().U32(InitialCredit).ToArray();

    public static PortConnectedMessage Decode(ReadOnlySpan<byte> payload) => new(new PayloadReader(payload, "port connected").U32());
}
