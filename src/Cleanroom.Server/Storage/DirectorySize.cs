using Cleanroom.HostProcesses;
using Cleanroom.Images;

namespace Cleanroom.Server.Storage;

/// <summary>
/// Disk the files under a directory take (allocated blocks, as <c>du</c> counts them; a sparse disk image counts what
/// was written), not following links and not descending into anything mounted below it (a sandbox's disk is counted
/// as its image file, once).
/// </summary>
internal static class DirectorySize
{
    /// <param name="mountPoints">This process's mount points (<see cref="MountTable.MountPoints"/>), read once by the caller.</param>
    public static long Of(string path, IReadOnlyCollection<string> mountPoints)
    {
        if (File.Exists(path))
            return DiskSpace.AllocatedBytes(path);
        if (!Directory.Exists(path))
            return 0;
        var mounts = MountTable.Under(mountPoints, path).ToHashSet(StringComparer.Ordinal);
        long total = 0;
        var pending = new Stack<string>([path]);
        while (pending.TryPop(out var directory))
        {
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(directory).EnumerateFileSystemInfos().ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone while we looked
            }

            foreach (var entry in entries)
            {
                if (entry is DirectoryInfo child && !child.Attributes.HasFlag(FileAttributes.ReparsePoint))
                {
                    if (!mounts.Contains(child.FullName))
                        pending.Push(child.FullName);
                }
                else if (entry is FileInfo)
                {
                    total += DiskSpace.AllocatedBytes(entry.FullName);
                }
            }
        }

        return total;
    }
}
