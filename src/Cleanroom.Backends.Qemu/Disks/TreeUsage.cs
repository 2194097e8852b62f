namespace Cleanroom.Backends.Qemu.Disks;

/// <summary>How much a directory tree needs on an ext4 file system: bytes in whole blocks, and how many entries.</summary>
internal readonly record struct TreeUsage(long Bytes, int Entries)
{
    public static TreeUsage Measure(string root)
    {
        long bytes = 0;
        var entries = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false, ReturnSpecialDirectories = false };
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", options))
        {
            entries++;
            // Directories and symlinks take about a block each; files their size rounded up to blocks.
            var length = entry is FileInfo { LinkTarget: null } file ? file.Length : 0;
            bytes += Math.Max(Ext4ImageBuilder.BlockSize, (length + Ext4ImageBuilder.BlockSize - 1) / Ext4ImageBuilder.BlockSize * Ext4ImageBuilder.BlockSize);
        }
        return new TreeUsage(bytes, entries);
    }
}
