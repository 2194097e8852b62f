using Cleanroom.Images.Interop;

namespace Cleanroom.Images.Layers;

/// <summary>
/// A directory tree that is walked one component at a time with lstat and never through a symlink, so that no
/// path built from layer content can reach outside the root. This is sound because the tree is private while
/// it is built (a 0700 directory only this process writes): the only actor that can change it between a check
/// and the use is the layer itself, and the layer acts through us, one entry at a time.
/// </summary>
internal sealed class ConfinedTree(string root)
{
    public string Root { get; } = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));

    public string FullPath(string relative) => relative.Length == 0 ? Root : Root + "/" + relative;

    /// <summary>
    /// Makes sure every parent of <paramref name="relative"/> is a real directory, creating missing ones;
    /// refuses a parent that is a symlink or not a directory.
    /// </summary>
    public void PrepareParents(string relative, string entryName)
    {
        for (var slash = relative.IndexOf('/'); slash >= 0; slash = relative.IndexOf('/', slash + 1))
        {
            var parent = relative[..slash];
            var full = FullPath(parent);
            switch (FileSystemCalls.LStatKind(full))
            {
                case FileKind.Directory:
                    break;
                case FileKind.Missing:
                    // Owner-writable while the tree is built; a directory entry sets its real mode at the end.
                    Directory.CreateDirectory(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
                    break;
                case FileKind.Symlink:
                    throw UnsafeLayerEntry.Error(entryName, $"path goes through {parent}, which is a symlink; writing through symlinks is refused");
                case var other:
                    throw UnsafeLayerEntry.Error(entryName, $"path goes through {parent}, which is a {Describe(other)}, not a directory");
            }
        }
    }

    /// <summary>
    /// The kind of an existing path whose parents are all real directories; <see cref="FileKind.Missing"/>
    /// when a parent is missing, and a refusal when a parent is a symlink or not a directory.
    /// </summary>
    public FileKind KindOf(string relative, string entryName)
    {
        for (var slash = relative.IndexOf('/'); slash >= 0; slash = relative.IndexOf('/', slash + 1))
        {
            var parent = relative[..slash];
            switch (FileSystemCalls.LStatKind(FullPath(parent)))
            {
                case FileKind.Directory:
                    continue;
                case FileKind.Missing:
                    return FileKind.Missing;
                case FileKind.Symlink:
                    throw UnsafeLayerEntry.Error(entryName, $"path goes through {parent}, which is a symlink; following symlinks is refused");
                case var other:
                    throw UnsafeLayerEntry.Error(entryName, $"path goes through {parent}, which is a {Describe(other)}, not a directory");
            }
        }

        return FileSystemCalls.LStatKind(FullPath(relative));
    }

    /// <summary>Deletes a path and, for a directory, everything under it, unlinking symlinks rather than following them.</summary>
    public static void RemoveTree(string fullPath)
    {
        var kind = FileSystemCalls.LStatKind(fullPath);
        if (kind == FileKind.Missing)
        {
            return;
        }

        if (kind != FileKind.Directory)
        {
            File.Delete(fullPath);
            return;
        }

        // A directory left read-only by its image must become writable for its entries to be unlinked.
        File.SetUnixFileMode(fullPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var child in Directory.EnumerateFileSystemEntries(fullPath))
        {
            RemoveTree(child);
        }

        Directory.Delete(fullPath);
    }

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.RegularFile => "regular file",
        FileKind.CharacterDevice => "character device",
        FileKind.BlockDevice => "block device",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
