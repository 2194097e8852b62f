using System.Formats.Tar;
using System.Text;

namespace Cleanroom.Images.Layers;

/// <summary>
/// The rules each tar entry must pass on its own, whatever came before it: a name that stays inside the root,
/// a type we are willing to create, and no privilege bits. The README lists them with their reasons.
/// </summary>
internal static class LayerEntryRules
{
    internal const string WhiteoutPrefix = ".wh.";
    internal const string OpaqueWhiteoutName = ".wh..wh..opq";
    private const int MaxPathBytes = 4095;
    private const int MaxComponentBytes = 255;

    /// <summary>Normalises a name to a root-relative path ("" is the root), or refuses it.</summary>
    public static string NormalisePath(string name, string entryName, string what = "path")
    {
        if (name.Contains('\0'))
        {
            throw UnsafeLayerEntry.Error(entryName, $"{what} contains a NUL character");
        }

        if (name.StartsWith('/'))
        {
            throw UnsafeLayerEntry.Error(entryName, $"{what} \"{UnsafeLayerEntry.Printable(name)}\" is absolute; layer paths are relative to the root");
        }

        if (Encoding.UTF8.GetByteCount(name) > MaxPathBytes)
        {
            throw UnsafeLayerEntry.Error(entryName, $"{what} is longer than {MaxPathBytes} bytes");
        }

        var components = new List<string>();
        foreach (var component in name.Split('/'))
        {
            if (component is "" or ".")
            {
                continue;
            }

            if (component == "..")
            {
                throw UnsafeLayerEntry.Error(entryName, $"{what} \"{UnsafeLayerEntry.Printable(name)}\" has a \"..\" component, which could reach outside the root");
            }

            if (Encoding.UTF8.GetByteCount(component) > MaxComponentBytes)
            {
                throw UnsafeLayerEntry.Error(entryName, $"{what} has a component longer than {MaxComponentBytes} bytes");
            }

            components.Add(component);
        }

        return string.Join('/', components);
    }

    /// <summary>Maps the tar type to what we create; refuses devices and anything we do not understand.</summary>
    public static LayerEntryKind KindOf(TarEntry entry, string entryName) => entry.EntryType switch
    {
        TarEntryType.Directory => LayerEntryKind.Directory,
        TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile => LayerEntryKind.RegularFile,
        TarEntryType.SymbolicLink => LayerEntryKind.Symlink,
        TarEntryType.HardLink => LayerEntryKind.HardLink,
        // A FIFO is a named pipe: it grants no access to anything, so an image may have one.
        TarEntryType.Fifo => LayerEntryKind.Fifo,
        TarEntryType.CharacterDevice => throw UnsafeLayerEntry.Error(entryName,
            "character device nodes are refused (a device node in an image could open host hardware); the sandbox runtime provides /dev"),
        TarEntryType.BlockDevice => throw UnsafeLayerEntry.Error(entryName,
            "block device nodes are refused (a device node in an image could open host disks); the sandbox runtime provides /dev"),
        _ => throw UnsafeLayerEntry.Error(entryName, $"tar entry type {entry.EntryType} is not supported"),
    };

    /// <summary>
    /// Refuses setuid anywhere and setgid on anything but a directory (both would grant privilege to whoever
    /// runs the file); a setgid directory only passes its group to new files and is kept. The sticky bit is
    /// kept on directories (/tmp needs it) and dropped elsewhere, where Linux ignores it anyway.
    /// </summary>
    public static UnixFileMode CheckMode(LayerEntryKind kind, UnixFileMode mode, string entryName, string path)
    {
        if (kind is LayerEntryKind.Symlink or LayerEntryKind.HardLink)
        {
            return mode;
        }

        if (mode.HasFlag(UnixFileMode.SetUser))
        {
            throw UnsafeLayerEntry.Error(entryName, $"setuid bit on {path}; setuid files from untrusted layers are refused");
        }

        if (mode.HasFlag(UnixFileMode.SetGroup) && kind != LayerEntryKind.Directory)
        {
            throw UnsafeLayerEntry.Error(entryName, $"setgid bit on {path}; setgid files from untrusted layers are refused");
        }

        return kind == LayerEntryKind.Directory ? mode : mode & ~UnixFileMode.StickyBit;
    }

    public static void CheckSymlinkTarget(string target, string entryName)
    {
        if (target.Length == 0)
        {
            throw UnsafeLayerEntry.Error(entryName, "symlink has an empty target");
        }

        if (target.Contains('\0'))
        {
            throw UnsafeLayerEntry.Error(entryName, "symlink target contains a NUL character");
        }

        if (Encoding.UTF8.GetByteCount(target) > MaxPathBytes)
        {
            throw UnsafeLayerEntry.Error(entryName, $"symlink target is longer than {MaxPathBytes} bytes");
        }
    }
}
