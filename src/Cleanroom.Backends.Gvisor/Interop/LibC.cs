using System.Runtime.InteropServices;

namespace Cleanroom.Backends.Gvisor.Interop;

/// <summary>
/// Raw libc entry points for a sandbox's size-limited disk: loop devices (ioctls on <c>/dev/loop-control</c> and
/// <c>/dev/loopN</c>), mount and unmount of the file system on it, and statfs. Only the wrappers in this folder call
/// them; the rest of the backend sees paths, numbers and exceptions. Naming follows every Interop/LibC.cs in the
/// repository: methods are the C name in PascalCase with an explicit EntryPoint, constants keep the C name.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    internal const int O_RDWR = 0x2, O_CLOEXEC = 0x80000;

    // linux/loop.h
    internal const nuint LOOP_CLR_FD = 0x4C01, LOOP_CONFIGURE = 0x4C0A, LOOP_CTL_GET_FREE = 0x4C82;
    internal const uint LO_FLAGS_AUTOCLEAR = 4;
    internal const int LO_NAME_SIZE = 64;

    // linux/mount.h
    internal const nuint MS_NOSUID = 2, MS_NODEV = 4, MS_NOATIME = 1024;
    internal const int MNT_DETACH = 2, UMOUNT_NOFOLLOW = 8;

    internal const int ENOENT = 2, ENXIO = 6, EBUSY = 16, EINVAL = 22;

    /// <summary>struct loop_info64.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct LoopInfo64
    {
        public ulong Device;
        public ulong Inode;
        public ulong RDevice;
        public ulong Offset;
        public ulong SizeLimit;
        public uint Number;
        public uint EncryptType;
        public uint EncryptKeySize;
        public uint Flags;
        public fixed byte FileName[LO_NAME_SIZE];
        public fixed byte CryptName[LO_NAME_SIZE];
        public fixed byte EncryptKey[32];
        public fixed ulong Init[2];
    }

    /// <summary>struct loop_config (LOOP_CONFIGURE: attach and set the flags in one call, Linux 5.8+).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct LoopConfig
    {
        public uint Fd;
        public uint BlockSize;
        public LoopInfo64 Info;
        public fixed ulong Reserved[8];
    }

    /// <summary>struct statfs on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct StatFs
    {
        public long Type;
        public long BlockSize;
        public ulong Blocks;
        public ulong FreeBlocks;
        public ulong AvailableBlocks;
        public ulong Files;
        public ulong FreeFiles;
        public ulong FsId;
        public long NameLength;
        public long FragmentSize;
        public long Flags;
        public fixed long Spare[4];
    }

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Lib, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mount(string source, string target, string fileSystemType, nuint flags, string? data);

    [LibraryImport(Lib, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Umount2(string target, int flags);

    [LibraryImport(Lib, EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statfs(string path, StatFs* buffer);

    /// <summary>With a null buffer the result is malloc'd: release it with <see cref="Free"/>.</summary>
    [LibraryImport(Lib, EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial byte* RealPath(string path, byte* resolved);

    [LibraryImport(Lib, EntryPoint = "free")]
    internal static partial void Free(void* pointer);
}
