namespace Cleanroom.Backends;

public enum GuestEntryKind
{
    File = 1,
    Directory = 2,
    SymbolicLink = 3,
    /// <summary>A device, FIFO or socket: never transferred.</summary>
    Other = 4,
}

/// <summary>
/// One entry of a sandbox's directory tree. <see cref="Path"/> is relative to the listed root with '/'
/// separators ("" is the root). <see cref="BlobId"/> is git's blob id of a file's content or a link's
/// target (empty for others), so it compares directly with a git checkout.
/// </summary>
public sealed record GuestTreeEntry(GuestEntryKind Kind, string Path, uint Mode, long Size, long ModifiedUnixSeconds, string BlobId, string LinkTarget);
