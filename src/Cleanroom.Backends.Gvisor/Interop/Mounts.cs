using System.Text;

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

/// <summary>mount(2), umount2(2) and this process's mount table (/proc/self/mountinfo), for the sandbox disks.</summary>
internal static class Mounts
{
    private const string MountInfo = "/proc/self/mountinfo";

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
    public static IReadOnlyList<string> MountPoints()
    {
        var points = new List<string>();
        foreach (var line in File.ReadLines(MountInfo))
        {
            // "<id> <parent> <major:minor> <root> <mount point> <options> ...": the mount point is the fifth field.
            var fields = line.Split(' ', 6);
            if (fields.Length >= 5)
                points.Add(Unescape(fields[4]));
        }
        return points;
    }

    // The kernel writes space, tab, newline and backslash in mountinfo paths as octal escapes (\040, \011, \012, \134),
    // all ASCII, so each escape is one char.
    internal static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var text = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 4 <= field.Length && IsOctal(field.AsSpan(i + 1, 3)))
            {
                text.Append((char)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }
        return text.ToString();
    }

    private static bool IsOctal(ReadOnlySpan<char> digits) => digits[0] is >= '0' and <= '3' && digits[1] is >= '0' and <= '7' && digits[2] is >= '0' and <= '7';
}
