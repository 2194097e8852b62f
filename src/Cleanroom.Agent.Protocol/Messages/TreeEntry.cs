using System.Buffers.Binary;

namespace Cleanroom.Agent.Protocol.Messages;

public enum TreeEntryKind : byte
{
    File = 1,
    Directory = 2,
    SymbolicLink = 3,
    /// <summary>A device, FIFO or socket: listed so a comparison sees it, never transferred.</summary>
    Other = 4,
}

/// <summary>
/// One entry of a TreeManifest. <see cref="Path"/> is relative to the listed root with '/' separators
/// ("" for the root). <see cref="Hash"/> is the git blob id (SHA-1 of "blob SIZE\0" + content) of a
/// file's content or a link's target, so the host can compare it with a git checkout directly.
/// </summary>
public sealed record TreeEntry(TreeEntryKind Kind, string Path, uint Mode, ulong Size, long ModifiedUnixSeconds, string Hash, string LinkTarget)
{
    /// <summary>u32 length, then the fields: records can span FileData frames.</summary>
    public byte[] Encode()
    {
        var body = new PayloadWriter().U8((byte)Kind).String(Path).U32(Mode).U64(Size).U64((ulong)ModifiedUnixSeconds)
            .String(Hash).String(LinkTarget).ToArray();
        var framed = new byte[4 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed, (uint)body.Length);
        body.CopyTo(framed, 4);
        return framed;
    }

    public static TreeEntry Decode(ReadOnlySpan<byte> body)
    {
        var reader = new PayloadReader(body, "tree entry");
        var kind = reader.U8();
        if (kind is < 1 or > 4)
            throw new ProtocolException($"tree entry kind {kind} is not known");
        return new TreeEntry((TreeEntryKind)kind, reader.String(), reader.U32(), reader.U64(), (long)reader.U64(), reader.String(), reader.String());
    }

    /// <summary>Reads the next length-prefixed record, or null at the end of the stream.</summary>
    public static async Task<TreeEntry?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        var got = await stream.ReadAtLeastAsync(header, 4, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got == 0)
            return null;
        if (got < 4)
            throw new ProtocolException("the tree manifest ends inside a record header");
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > ProtocolConstants.MaxPayloadSize)
            throw new ProtocolException($"a tree entry of {length} bytes is larger than {ProtocolConstants.MaxPayloadSize}");
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return Decode(body);
    }
}
