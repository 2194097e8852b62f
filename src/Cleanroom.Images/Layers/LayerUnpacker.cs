using Cleanroom.Images.Interop;

namespace Cleanroom.Images.Layers;

/// <summary>
/// Applies layers, bottom first, to a private directory that is being built. Every entry is checked by
/// <see cref="LayerEntryReader"/>, every path is walked with <see cref="ConfinedTree"/> (never through a
/// symlink), files are created with O_EXCL after unlinking whatever was there (so an existing symlink or
/// hardlink is never written through), and whiteouts delete lower content without following symlinks.
/// Directory modes, owners and times are applied by <see cref="Finish"/>, once nothing more is written
/// into them.
/// </summary>
internal sealed class LayerUnpacker(string root)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly ConfinedTree tree = new(root);
    private readonly Dictionary<string, LayerEntry> directories = new(StringComparer.Ordinal);

    public async Task ApplyAsync(Stream layerTar, CancellationToken cancellationToken)
    {
        // Paths this layer wrote, and their ancestors: an opaque whiteout keeps these and deletes the rest.
        var fromThisLayer = new HashSet<string>(StringComparer.Ordinal) { "" };
        await foreach (var entry in LayerEntryReader.ReadAsync(layerTar, LayerReadRules.ApplyLayer, cancellationToken).ConfigureAwait(false))
        {
            switch (entry.Kind)
            {
                case LayerEntryKind.Whiteout:
                    // A whiteout hides lower content only, never what this same layer wrote.
                    if (!fromThisLayer.Contains(entry.Path) && tree.KindOf(entry.Path, entry.Name) != FileKind.Missing)
                    {
                        Remove(entry.Path);
                    }

                    break;
                case LayerEntryKind.OpaqueWhiteout:
                    if (tree.KindOf(entry.Path, entry.Name) == FileKind.Directory)
                    {
                        ClearLowerContent(entry.Path, fromThisLayer);
                    }

                    break;
                default:
                    await WriteAsync(entry, cancellationToken).ConfigureAwait(false);
                    for (var path = entry.Path; path.Length > 0 && fromThisLayer.Add(path); path = ParentOf(path))
                    {
                    }

                    break;
            }
        }
    }

    /// <summary>Sets each directory's owner, mode and time, deepest first (a parent's mode may forbid entering it).</summary>
    public void Finish()
    {
        foreach (var (path, entry) in directories.OrderByDescending(pair => pair.Key.Length))
        {
            // A later layer may have removed it or put a symlink in its place or on its path.
            if (tree.KindOf(path, entry.Name) != FileKind.Directory)
            {
                continue;
            }

            var full = tree.FullPath(path);
            SetOwner(full, entry);
            File.SetUnixFileMode(full, entry.Mode);
            FileSystemCalls.SetTimesNoFollow(full, entry.ModificationTime);
        }

        if (!directories.ContainsKey(""))
        {
            File.SetUnixFileMode(tree.Root, (UnixFileMode)0b111_101_101);
        }
    }

    private async Task WriteAsync(LayerEntry entry, CancellationToken cancellationToken)
    {
        tree.PrepareParents(entry.Path, entry.Name);
        var full = tree.FullPath(entry.Path);
        var existing = tree.KindOf(entry.Path, entry.Name);
        if (entry.Kind == LayerEntryKind.Directory)
        {
            if (existing != FileKind.Directory)
            {
                if (existing != FileKind.Missing)
                {
                    File.Delete(full);
                }

                Directory.CreateDirectory(full, OwnerOnly);
            }

            directories[entry.Path] = entry;
            return;
        }

        // A later entry replaces an earlier one; unlinking first means we never open or follow what was there.
        if (existing != FileKind.Missing)
        {
            Remove(entry.Path);
        }

        switch (entry.Kind)
        {
            case LayerEntryKind.RegularFile:
                await WriteFileAsync(full, entry, cancellationToken).ConfigureAwait(false);
                break;
            case LayerEntryKind.Symlink:
                File.CreateSymbolicLink(full, entry.LinkTarget!);
                SetOwner(full, entry);
                break;
            case LayerEntryKind.HardLink:
                var target = entry.LinkTarget!;
                var targetKind = tree.KindOf(target, entry.Name);
                if (targetKind != FileKind.RegularFile)
                {
                    throw UnsafeLayerEntry.Error(entry.Name, targetKind == FileKind.Missing
                        ? $"hardlink target {target} does not exist in the image"
                        : $"hardlink target {target} is not a regular file; only regular files may be hardlinked");
                }

                FileSystemCalls.Link(tree.FullPath(target), full);
                return;
            case LayerEntryKind.Fifo:
                FileSystemCalls.MkFifo(full, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                SetOwner(full, entry);
                File.SetUnixFileMode(full, entry.Mode);
                break;
        }

        FileSystemCalls.SetTimesNoFollow(full, entry.ModificationTime);
    }

    private static async Task WriteFileAsync(string full, LayerEntry entry, CancellationToken cancellationToken)
    {
        await using (var file = new FileStream(full, new FileStreamOptions
        {
            // CreateNew is O_CREAT|O_EXCL: it fails on anything already there, a symlink included.
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            BufferSize = 0,
        }))
        {
            if (entry.Data is not null)
            {
                await CopyAsync(entry.Data, file, cancellationToken).ConfigureAwait(false);
            }

            // Owner before mode: chown may clear mode bits.
            SetOwner(full, entry);
            File.SetUnixFileMode(file.SafeFileHandle, entry.Mode);
        }
    }

    // Large reads from the layer, and plain synchronous writes: the file is new and private, and a write to the
    // page cache does not block long enough to be worth a thread-pool hop per chunk.
    private static async Task CopyAsync(Stream data, FileStream file, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int read;
            while ((read = await data.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                file.Write(buffer, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Remove(string path)
    {
        ConfinedTree.RemoveTree(tree.FullPath(path));
        foreach (var directory in directories.Keys.Where(key => key == path || key.StartsWith(path + "/", StringComparison.Ordinal)).ToList())
        {
            directories.Remove(directory);
        }
    }

    private void ClearLowerContent(string directory, HashSet<string> fromThisLayer)
    {
        foreach (var child in Directory.EnumerateFileSystemEntries(tree.FullPath(directory)).ToList())
        {
            var relative = directory.Length == 0 ? Path.GetFileName(child) : directory + "/" + Path.GetFileName(child);
            if (!fromThisLayer.Contains(relative))
            {
                Remove(relative);
            }
            else if (FileSystemCalls.LStatKind(child) == FileKind.Directory)
            {
                ClearLowerContent(relative, fromThisLayer);
            }
        }
    }

    private static void SetOwner(string full, LayerEntry entry)
    {
        // Only root can give files away; a rootfs needs root-owned files, so the server (root) keeps the tar's owners.
        if (FileSystemCalls.CanChangeOwner)
        {
            FileSystemCalls.LChown(full, entry.Uid, entry.Gid);
        }
    }

    private static string ParentOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }
}
