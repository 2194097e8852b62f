using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent.Interop;

/// <summary>
/// The calls only a VM's init makes: mounting, switching the root, naming the host, feeding the entropy
/// pool, growing the root file system, watching /dev for a device, and rebooting. Used by
/// <see cref="Init.GuestInit"/> and nowhere else.
/// </summary>
internal static unsafe partial class InitSyscalls
{
    public const nuint MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32, MS_BIND = 4096, MS_MOVE = 8192, MS_REC = 16384;

    // _IOW('R', 0x03, int[2]) and _IOW('f', 16, __u64), as in linux/random.h and fs/ext4/ext4.h.
    private const nuint RNDADDENTROPY = 0x40085203;
    private const nuint EXT4_IOC_RESIZE_FS = 0x40086610;
    private const int RB_AUTOBOOT = 0x01234567;
    private const int O_DIRECTORY = 0x10000;
    private const int IN_CLOEXEC = 0x80000, IN_CREATE = 0x100;

    public static void Mount(string source, string target, string? fileSystemType, nuint flags, string? data)
    {
        fixed (byte* s = NativeStrings.Utf8Z(source))
        fixed (byte* t = NativeStrings.Utf8Z(target))
        fixed (byte* f = fileSystemType is null ? null : NativeStrings.Utf8Z(fileSystemType))
        fixed (byte* d = data is null ? null : NativeStrings.Utf8Z(data))
        {
            if (LibC.Mount(s, t, f, flags, d) != 0)
                throw UnixException.FromLastError($"mount {source} on {target}");
        }
    }

    /// <summary>A read-only descriptor of a directory (for ioctls that act on the file system it is in).</summary>
    public static SafeFileHandle OpenDirectory(string path)
    {
        fixed (byte* p = NativeStrings.Utf8Z(path))
        {
            var fd = LibC.Open(p, LibC.O_RDONLY | O_DIRECTORY | LibC.O_CLOEXEC, 0);
            if (fd < 0)
                throw UnixException.FromLastError($"open {path}");
            return FileDescriptors.Adopt(fd);
        }
    }

    public static void ChangeRoot(string path)
    {
        fixed (byte* p = NativeStrings.Utf8Z(path))
            if (Native.ChRoot(p) != 0)
                throw UnixException.FromLastError($"chroot {path}");
    }

    public static void SetHostName(string name)
    {
        var bytes = NativeStrings.Utf8Z(name);
        fixed (byte* p = bytes)
            if (Native.SetHostName(p, (nuint)(bytes.Length - 1)) != 0)
                throw UnixException.FromLastError("sethostname");
    }

    /// <summary>Mixes <paramref name="seed"/> into the kernel's pool and credits it as entropy (RNDADDENTROPY).</summary>
    public static void AddEntropy(SafeFileHandle random, ReadOnlySpan<byte> seed)
    {
        var buffer = new byte[8 + seed.Length];
        BitConverter.TryWriteBytes(buffer.AsSpan(0, 4), seed.Length * 8);
        BitConverter.TryWriteBytes(buffer.AsSpan(4, 4), seed.Length);
        seed.CopyTo(buffer.AsSpan(8));
        fixed (byte* p = buffer)
            if (LibC.Ioctl((int)random.DangerousGetHandle(), RNDADDENTROPY, p) != 0)
                throw UnixException.FromLastError("ioctl RNDADDENTROPY");
    }

    /// <summary>Grows the mounted ext4 file system that <paramref name="anyFile"/> is on to <paramref name="blocks"/> blocks, online.</summary>
    public static void ResizeExt4(SafeFileHandle anyFile, ulong blocks)
    {
        if (LibC.Ioctl((int)anyFile.DangerousGetHandle(), EXT4_IOC_RESIZE_FS, &blocks) != 0)
            throw UnixException.FromLastError("ioctl EXT4_IOC_RESIZE_FS");
    }

    /// <summary>An inotify descriptor watching <paramref name="directory"/> for new entries.</summary>
    public static SafeFileHandle WatchForCreation(string directory)
    {
        var fd = Native.InotifyInit1(IN_CLOEXEC);
        if (fd < 0)
            throw UnixException.FromLastError("inotify_init1");
        var handle = FileDescriptors.Adopt(fd);
        fixed (byte* p = NativeStrings.Utf8Z(directory))
        {
            if (Native.InotifyAddWatch(fd, p, IN_CREATE) < 0)
            {
                var error = UnixException.FromLastError($"inotify_add_watch {directory}");
                handle.Dispose();
                throw error;
            }
        }
        return handle;
    }

    public static void Sync() => Native.Sync();

    /// <summary>Restarts the machine; QEMU started with -no-reboot exits instead. Returns only on failure.</summary>
    public static UnixException Reboot()
    {
        Native.Reboot(RB_AUTOBOOT);
        return UnixException.FromLastError("reboot");
    }

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "chroot", SetLastError = true)]
        internal static partial int ChRoot(byte* path);

        [LibraryImport("libc", EntryPoint = "sethostname", SetLastError = true)]
        internal static partial int SetHostName(byte* name, nuint length);

        [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
        internal static partial int InotifyInit1(int flags);

        [LibraryImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true)]
        internal static partial int InotifyAddWatch(int fd, byte* path, uint mask);

        [LibraryImport("libc", EntryPoint = "sync")]
        internal static partial void Sync();

        [LibraryImport("libc", EntryPoint = "reboot", SetLastError = true)]
        internal static partial int Reboot(int command);
    }
}
