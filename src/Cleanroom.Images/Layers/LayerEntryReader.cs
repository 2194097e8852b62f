using System.Formats.Tar;
using System.Runtime.CompilerServices;
using Cleanroom.Errors;

namespace Cleanroom.Images.Layers;

/// <summary>
/// Reads a layer tarball entry by entry and refuses, before anything is written for it, every entry that
/// breaks the per-entry rules (<see cref="LayerEntryRules"/>) or the rules about entries of the same layer:
/// no path through a symlink or a non-directory the layer made earlier, no directory turned into a file, and
/// hardlinks only to regular files that already exist.
/// </summary>
internal static class LayerEntryReader
{
    public static async IAsyncEnumerable<LayerEntry> ReadAsync(
        Stream tar, LayerReadRules rules, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new Dictionary<string, LayerEntryKind>(StringComparer.Ordinal);
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (true)
        {
            TarEntry? entry;
            try
            {
                entry = await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException or OverflowException)
            {
                throw new CleanroomException(ErrorCode.ImageInvalid, $"layer is not a valid tar archive: {e.Message}", e);
            }

            if (entry is null)
            {
                yield break;
            }

            // A PAX global header describes the archive, not a file.
            if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
            {
                continue;
            }

            var checkedEntry = Check(entry, rules, seen);
            if (checkedEntry is not null)
            {
                yield return checkedEntry;
            }
        }
    }

    private static LayerEntry? Check(TarEntry entry, LayerReadRules rules, Dictionary<string, LayerEntryKind> seen)
    {
        var name = entry.Name;
        var kind = LayerEntryRules.KindOf(entry, name);
        var path = LayerEntryRules.NormalisePath(name, name);
        var slash = path.LastIndexOf('/');
        var parent = slash < 0 ? "" : path[..slash];
        var leaf = path[(slash + 1)..];

        if (leaf.StartsWith(LayerEntryRules.WhiteoutPrefix, StringComparison.Ordinal))
        {
            return Whiteout(entry, rules, seen, parent, leaf);
        }

        if (path.Length == 0 && kind != LayerEntryKind.Directory)
        {
            throw UnsafeLayerEntry.Error(name, $"the root can only be a directory, not a {Describe(kind)}");
        }

        CheckParents(path, name, seen);
        if (seen.TryGetValue(path, out var earlier) && earlier == LayerEntryKind.Directory && kind != LayerEntryKind.Directory)
        {
            throw UnsafeLayerEntry.Error(name, $"replaces the directory {path}, made earlier in this layer, with a {Describe(kind)}");
        }

        string? linkTarget = null;
        if (kind == LayerEntryKind.Symlink)
        {
            LayerEntryRules.CheckSymlinkTarget(entry.LinkName, name);
            linkTarget = entry.LinkName;
        }
        else if (kind == LayerEntryKind.HardLink)
        {
            linkTarget = CheckHardLinkTarget(entry.LinkName, name, rules, seen);
        }

        var mode = LayerEntryRules.CheckMode(kind, entry.Mode, name, path);
        seen[path] = kind;
        return new LayerEntry(name, path, kind, mode, entry.Uid, entry.Gid, entry.ModificationTime, linkTarget, entry.DataStream);
    }

    private static LayerEntry? Whiteout(TarEntry entry, LayerReadRules rules, Dictionary<string, LayerEntryKind> seen, string parent, string leaf)
    {
        var name = entry.Name;
        if (!rules.AllowWhiteouts)
        {
            throw UnsafeLayerEntry.Error(name, "whiteout entries (.wh.*) delete files of a lower layer, and a rootfs tarball has none; remove them");
        }

        CheckParents(parent.Length == 0 ? leaf : parent + "/" + leaf, name, seen);
        if (leaf == LayerEntryRules.OpaqueWhiteoutName)
        {
            return new LayerEntry(name, parent, LayerEntryKind.OpaqueWhiteout, 0, 0, 0, default, null, null);
        }

        // Other ".wh..wh." names are aufs bookkeeping (hardlink directories), never files of the image.
        if (leaf.StartsWith(LayerEntryRules.WhiteoutPrefix + LayerEntryRules.WhiteoutPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var target = leaf[LayerEntryRules.WhiteoutPrefix.Length..];
        if (target is "" or "." or "..")
        {
            throw UnsafeLayerEntry.Error(name, $"whiteout names \"{target}\", which is not a file name");
        }

        var path = parent.Length == 0 ? target : parent + "/" + target;
        return new LayerEntry(name, path, LayerEntryKind.Whiteout, 0, 0, 0, default, null, null);
    }

    private static string CheckHardLinkTarget(string linkName, string name, LayerReadRules rules, Dictionary<string, LayerEntryKind> seen)
    {
        var target = LayerEntryRules.NormalisePath(linkName, name, "hardlink target");
        if (target.Length == 0)
        {
            throw UnsafeLayerEntry.Error(name, "hardlink to the root directory");
        }

        CheckParents(target, name, seen);
        if (seen.TryGetValue(target, out var targetKind))
        {
            if (targetKind is not (LayerEntryKind.RegularFile or LayerEntryKind.HardLink))
            {
                throw UnsafeLayerEntry.Error(name, $"hardlink target {target} is a {Describe(targetKind)}; only regular files may be hardlinked");
            }
        }
        else if (!rules.HardLinksMayTargetLowerLayers)
        {
            throw UnsafeLayerEntry.Error(name, $"hardlink target {target} is not an earlier entry of this tarball");
        }

        return target;
    }

    // Every proper prefix of the path that this layer made must be a directory: writing under a symlink would
    // land wherever it points, and under a file is meaningless.
    private static void CheckParents(string path, string name, Dictionary<string, LayerEntryKind> seen)
    {
        for (var slash = path.IndexOf('/'); slash >= 0; slash = path.IndexOf('/', slash + 1))
        {
            var prefix = path[..slash];
            if (seen.TryGetValue(prefix, out var kind) && kind != LayerEntryKind.Directory)
            {
                throw UnsafeLayerEntry.Error(name, kind == LayerEntryKind.Symlink
                    ? $"path goes through {prefix}, a symlink made earlier in this layer; writing through symlinks is refused"
                    : $"path goes through {prefix}, which is a {Describe(kind)}, not a directory");
            }
        }
    }

    internal static string Describe(LayerEntryKind kind) => kind switch
    {
        LayerEntryKind.RegularFile => "regular file",
        LayerEntryKind.HardLink => "hardlink",
        LayerEntryKind.Fifo => "FIFO",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
