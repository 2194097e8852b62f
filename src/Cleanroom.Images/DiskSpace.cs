using Cleanroom.Images.Interop;

namespace Cleanroom.Images;

/// <summary>
/// Disk a file takes (its allocated blocks, not its apparent length): a sandbox's sparse disk image is as long as its
/// limit but takes only what was written. Here because this project holds the host file-system calls the server uses.
/// </summary>
public static class DiskSpace
{
    /// <summary>Allocated bytes of <paramref name="path"/> (not following a final symlink); 0 when it is gone.</summary>
    public static long AllocatedBytes(string path) => FileSystemCalls.LStatAllocatedBytes(path);
}
