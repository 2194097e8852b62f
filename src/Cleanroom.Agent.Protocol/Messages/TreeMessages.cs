namespace Cleanroom.Agent.Protocol.Messages;

/// <summary>
/// Host → agent: send a tar (PAX) of <see cref="Members"/> (paths relative to <see cref="Root"/>; empty
/// means everything under it), entries named relative to the root, symbolic links stored as links and
/// never followed. Data comes as FileData frames within the granted credit, then FileEnd.
/// </summary>
public sealed record ArchiveReadMessage(string Root, IReadOnlyList<string> Members, uint InitialCredit)
{
    public byte[] Encode() => new PayloadWriter().String(Root).StringList(Members).U32(InitialCredit).ToArray();

    public static ArchiveReadMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "archive read");
        return new ArchiveReadMessage(reader.String(), reader.StringList(), reader.U32());
    }
}

/// <summary>
/// Host → agent: unpack the tar that follows (FileData frames, then FileEnd) under <see cref="Root"/>,
/// creating it if needed. An entry whose PAX record holds <see cref="TreeArchive.DeleteAttribute"/>
/// removes that path instead. Answered by FileWritten (bytes received) or Error.
/// </summary>
public sealed record ArchiveWriteMessage(string Root)
{
    public byte[] Encode() => new PayloadWriter().String(Root).ToArray();

    public static ArchiveWriteMessage Decode(ReadOnlySpan<byte> payload) => new(new PayloadReader(payload, "archive write").String());
}

/// <summary>
/// Host → agent: list <see cref="Root"/> (a directory) recursively as <see cref="TreeEntry"/> records in
/// FileData frames, the root itself first, then FileEnd. Entries whose name is in
/// <see cref="ExcludedNames"/> directly under the root are skipped; after <see cref="MaxEntries"/>
/// entries the agent stops with Error <c>too_large</c>.
/// </summary>
public sealed record TreeManifestMessage(string Root, IReadOnlyList<string> ExcludedNames, uint MaxEntries, uint InitialCredit)
{
    public byte[] Encode() => new PayloadWriter().String(Root).StringList(ExcludedNames).U32(MaxEntries).U32(InitialCredit).ToArray();

    public static TreeManifestMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, "tree manifest");
        return new TreeManifestMessage(reader.String(), reader.StringList(), reader.U32(), reader.U32());
    }
}

/// <summary>Names shared by both ends of archive transfers.</summary>
public static class TreeArchive
{
    /// <summary>PAX attribute marking an entry as "remove this path" in an ArchiveWrite.</summary>
    public const string DeleteAttribute = "CLEANROOM.delete";
}
