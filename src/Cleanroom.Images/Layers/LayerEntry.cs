namespace Cleanroom.Images.Layers;

internal enum LayerEntryKind
{
    Directory,
    RegularFile,
    Symlink,
    HardLink,
    Fifo,

    /// <summary><c>DIR/.wh.NAME</c>: NAME from lower layers is deleted.</summary>
    Whiteout,

    /// <summary><c>DIR/.wh..wh..opq</c>: DIR's content from lower layers is deleted.</summary>
    OpaqueWhiteout,
}

/// <summary>
/// One tar entry that passed the per-entry safety rules. <see cref="Path"/> is relative to the root, with no
/// "./", no empty or ".." components, and "" for the root itself. For a whiteout it is the path to delete
/// (or the directory to clear). <see cref="LinkTarget"/> is a symlink's target as written, or a hardlink's
/// target normalised like <see cref="Path"/>. <see cref="Mode"/> has the sticky bit only on directories.
/// </summary>
internal sealed record LayerEntry(
    string Name,
    string Path,
    LayerEntryKind Kind,
    UnixFileMode Mode,
    int Uid,
    int Gid,
    DateTimeOffset ModificationTime,
    string? LinkTarget,
    Stream? Data);
