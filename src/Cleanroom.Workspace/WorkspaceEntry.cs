using Cleanroom.Backends;

namespace Cleanroom.Workspace;

/// <summary>
/// A file or symbolic link of a workspace as git sees it: content by blob id, the executable bit, and
/// for links the target. Directories are not entries (git does not track them either).
/// </summary>
public sealed record WorkspaceEntry(string Path, GuestEntryKind Kind, bool Executable, string BlobId, string LinkTarget)
{
    /// <summary>Same content, kind and executable bit (what a diff would report).</summary>
    public bool SameAs(WorkspaceEntry other) =>
        Kind == other.Kind && BlobId == other.BlobId && (Kind != GuestEntryKind.File || Executable == other.Executable);

    public static WorkspaceEntry? FromGuest(GuestTreeEntry entry) => entry.Kind switch
    {
        GuestEntryKind.File => new WorkspaceEntry(entry.Path, GuestEntryKind.File, (entry.Mode & 0b001_001_001) != 0, entry.BlobId, ""),
        GuestEntryKind.SymbolicLink => new WorkspaceEntry(entry.Path, GuestEntryKind.SymbolicLink, false, entry.BlobId, entry.LinkTarget),
        _ => null,
    };
}
