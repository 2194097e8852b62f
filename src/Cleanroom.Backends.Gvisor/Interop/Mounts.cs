using Cleanroom.HostProcesses;

namespace Cleanroom.Backends.Gvisor.Interop;

/// <summary>How an unmount went.</summary>
internal enum UnmountOutcome
{
    /// <summary>Nothing was mounted there.</summary>
    NotMounted,

    /// <summary>Unmounted; the file system is released now.</summary>
    Unmounted,

    /// <summary>Still in use: detached from the tree, released when its last user lets go.</summary>
    Detached,
}

/// <summary>mount(2) and umount2(2) for the sandbox disks, and the mount table (read by <see cref="MountTable"/>).</summary>
internal static class Mounts
{
    /// <summary>Mounts the ext4 file system on <paramref name="device"/> at <paramref name="target"/>.</summary>
    public static void MountExt4(string device, string target, nuint flags, string options)
    {
        if (LibC.Mount(device, target, "ext4", flags, options) != 0)
            throw SystemCallException.Last($"mount {device} on {target} (ext4, {options})");
    }

    /// <summary>
    /// Unmounts <paramref name="target"/> without following a symlink there. A file system still in use (a process
    /// that has not exited yet holds a file on it) is detached lazily instead, so the caller never waits on it.
    /// </summary>
    public static UnmountOutcome Unmount(string target)
    {
        if (LibC.Umount2(target, LibC.UMOUNT_NOFOLLOW) == 0)
            return UnmountOutcome.Unmounted;
        var error = SystemCallException.Last($"umount {target}");
        switch (error.Errno)
        {
            case LibC.EINVAL or LibC.ENOENT:
                return UnmountOutcome.NotMounted;
            case LibC.EBUSY when LibC.Umount2(target, LibC.UMOUNT_NOFOLLOW | LibC.MNT_DETACH) == 0:
                return UnmountOutcome.Detached;
            case LibC.EBUSY:
                throw SystemCallException.Last($"umount -l {target}");
            default:
                throw error;
        }
    }

    /// <summary>Whether something is mounted exactly at <paramref name="path"/>.</summary>
    public static bool IsMountPoint(string path) => MountPoints().Contains(path);

    /// <summary>Every mount point of this process's mount namespace, in the order of the table (parents first).</summary>
    public static IReadOnlyList<string> MountPoints() => MountTable.MountPoints();
}
