namespace Cleanroom.Agent.Protocol.Messages;

/// <summary>
/// Host → agent: send the file's content as <see cref="FrameType.FileData"/> frames then
/// <see cref="FrameType.FileEnd"/>, within the output credit granted on the channel.
/// </summary>
public sealed record FileReadMessage(string Path, uint InitialCredit)
{
    public byte[] Encode() => new PayloadWriter().String(Path).U32(InitialCredit).ToArray();

    public static FileReadMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "file read");
        return new FileReadMessage(reader.String(), reader.U32());
    }
}

/// <summary>
/// Host → agent: create or replace the file, then <see cref="FrameType.FileData"/> frames and
/// <see cref="FrameType.FileEnd"/> follow. <see cref="Mode"/> holds the permission bits (e.g. 0644).
/// </summary>
public sealed record FileWriteMessage(string Path, uint Mode)
{
    public byte[] Encode() => new PayloadWriter().String(Path).U32(Mode).ToArray();

    public static FileWriteMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "file write");
        return new FileWriteMessage(reader.String(), reader.U32());
    }
}

/// <summary>Agent → host: the file is written and closed.</summary>
public sealed record FileWrittenMessage(ulong Bytes)
{
    public byte[] Encode() => new PayloadWriter().U64(Bytes).ToArray();

    public static FileWrittenMessage Decode(ReadOnlySpan<byte> payload) => new(new PayloadReader(payload, "file written").U64());
}
