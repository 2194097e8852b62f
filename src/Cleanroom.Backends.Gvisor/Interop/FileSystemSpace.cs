namespace Cleanroom.Backends.Gvisor.Interop;

/// <summary>
/// One statfs of the file system holding a path: its size, what an unprivileged writer could still use, what is used,
/// and its id (two paths on the same file system have the same <see cref="FileSystemId"/>).
/// </summary>
internal sealed record FileSystemSpace(long TotalBytes, long AvailableBytes, long UsedBytes, ulong FileSystemId)
{
    /// <summary>statfs of <paramref name="path"/>; throws <see cref="SystemCallException"/> (ENOENT when it is gone).</summary>
    public static unsafe FileSystemSpace Of(string path)
    {
        LibC.StatFs result;
        if (LibC.Statfs(path, &result) != 0)
            throw SystemCallException.Last($"statfs {path}");
        // The block counts are in units of f_frsize, which on Linux equals f_bsize for every file system we meet.
        var unit = result.FragmentSize > 0 ? result.FragmentSize : result.BlockSize;
        return new FileSystemSpace(
            (long)result.Blocks * unit,
            (long)result.AvailableBlocks * unit,
            (long)(result.Blocks - result.FreeBlocks) * unit,
            result.FsId);
    }
}
