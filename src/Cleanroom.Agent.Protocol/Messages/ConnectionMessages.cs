namespace Cleanroom.Agent.Protocol.Messages;

/// <summary>Ping (host → agent) and pong (agent → host) carry the same token back.</summary>
public sealed record PingMessage(ulong Token)
{
    public byte[] Encode() => new PayloadWriter().U64(Token).ToArray();

    public static PingMessage Decode(ReadOnlySpan<byte> payload) => new(new PayloadReader(payload, "ping").U64());
}

/// <summary>
/// Host → agent: stop. The agent sends SIGTERM to every execution, waits up to the grace period,
/// sends SIGKILL to what remains, and exits; the host sees the end of the stream.
/// </summary>
public sealed record ShutdownMessage(uint GraceMilliseconds)
{
    public byte[] Encode() => new PayloadWriter().U32(GraceMilliseconds).ToArray();

    public static ShutdownMessage Decode(ReadOnlySpan<byte> payload) => new(new PayloadReader(payload, "shutdown").U32());
}

/// <summary>
/// A grant of bytes: <see cref="FrameType.OutputCredit"/> (host lets the agent send that many more
/// stdout+stderr or file bytes on the channel) and <see cref="FrameType.StdinCredit"/> (agent lets the
/// host send that many more stdin bytes).
/// </summary>
public sealed record CreditMessage(uint Bytes)
{
    public byte[] Encode() => new PayloadWriter().U32(Bytes).ToArray();

    public static CreditMessage Decode(ReadOnlySpan<byte> payload) => new(new PayloadReader(payload, "credit").U32());
}

/// <summary>
/// Agent → host: the channel (or, on channel 0, the connection) failed. Last frame of its channel.
/// <see cref="ExitCode"/> is what a shell would report for the failure (127 not found, 126 cannot run).
/// </summary>
public sealed record ErrorMessage(string Code, string Message, int ExitCode)
{
    public byte[] Encode() => new PayloadWriter().String(Code).String(Message).I32(ExitCode).ToArray();

    public static ErrorMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "error");
        return new ErrorMessage(reader.String(), reader.String(), reader.I32());
    }
}
