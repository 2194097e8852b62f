using Cleanroom.Agent.Interop;
using static Cleanroom.Agent.Interop.InitSyscalls;

namespace Cleanroom.Agent.Init;

/// <summary>
/// The mounts of a VM's init, and the move from the initramfs into the image's root disk.
/// The initramfs root cannot be pivot_root'ed away, so the new root is moved over it and chroot'ed into
/// (what switch_root does). The agent's own directory stays reachable, read-only, at /.cleanroom inside the
/// new root, where the exec helper and the loader expect it.
/// </summary>
internal static class RootSwitch
{
    public const string AgentDirectory = "/.cleanroom";
    private const string NewRoot = "/newroot";
    private static readonly string[] KernelFileSystems = ["/proc", "/sys", "/dev"];

    /// <summary>/proc, /sys and /dev in the initramfs, before anything else can work.</summary>
    public static void MountKernelFileSystems()
    {
        MountFresh("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
        MountFresh("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
        MountFresh("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    }

    /// <summary>
    /// Mounts the ext4 disk <paramref name="device"/>, grows its file system to <paramref name="resizeBlocks"/>
    /// when asked (the host made the disk bigger than the image), carries the kernel file systems and the
    /// agent over, and makes the disk the root.
    /// </summary>
    public static void Enter(string device, ulong? resizeBlocks)
    {
        Directory.CreateDirectory(NewRoot);
        // No background zeroing of inode tables: the disk lives as long as the sandbox, and the thread would
        // cost guest CPU and fill the overlay with zeros.
        Mount(device, NewRoot, "ext4", 0, "noinit_itable");
        if (resizeBlocks is { } blocks)
        {
            using var root = OpenDirectory(NewRoot);
            ResizeExt4(root, blocks);
        }

        var agentInRoot = NewRoot + AgentDirectory;
        Directory.CreateDirectory(agentInRoot);
        Mount(AgentDirectory, agentInRoot, null, MS_BIND, null);
        Mount(AgentDirectory, agentInRoot, null, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NODEV | MS_NOSUID, null);
        foreach (var path in KernelFileSystems)
        {
            Directory.CreateDirectory(NewRoot + path);
            Mount(path, NewRoot + path, null, MS_MOVE, null);
        }

        Directory.SetCurrentDirectory(NewRoot);
        Mount(".", "/", null, MS_MOVE, null);
        ChangeRoot(".");
        Directory.SetCurrentDirectory("/");
    }

    /// <summary>
    /// What programs expect beyond the kernel's own file systems: ptys, POSIX shared memory, a writable
    /// /tmp that is not on the disk, and the /dev/fd links shells use. A failure here is logged, not
    /// fatal: most workloads run without any one of them.
    /// </summary>
    public static void MountRuntimeFileSystems()
    {
        TryMount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666");
        TryMount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
        TryMount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
        TryLink("/dev/fd", "/proc/self/fd");
        TryLink("/dev/stdin", "/proc/self/fd/0");
        TryLink("/dev/stdout", "/proc/self/fd/1");
        TryLink("/dev/stderr", "/proc/self/fd/2");
    }

    private static void MountFresh(string source, string target, string type, nuint flags, string? data)
    {
        Directory.CreateDirectory(target);
        Mount(source, target, type, flags, data);
    }

    private static void TryMount(string source, string target, string type, nuint flags, string? data)
    {
        try
        {
            MountFresh(source, target, type, flags, data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AgentLog.Error($"cannot mount {type} on {target}: {e.Message}");
        }
    }

    private static void TryLink(string path, string target)
    {
        try
        {
            if (!Path.Exists(path))
                File.CreateSymbolicLink(path, target);
        }
        catch (IOException e)
        {
            AgentLog.Error($"cannot link {path}: {e.Message}");
        }
    }
}
