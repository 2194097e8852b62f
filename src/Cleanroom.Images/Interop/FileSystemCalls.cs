using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Images.Interop;

/// <summary>
/// Safe wrappers over <see cref="LibC"/>: they take paths and return .NET values, and turn a failed call into
/// an <see cref="IOException"/> naming the call, the path and the errno text.
/// </summary>
internal static class FileSystemCalls
{
    private const int FileTypeMask = 0xF000;

    /// <summary>True when this process may set file owners (runs as root); otherwise owners are left alone.</summary>
    internal static bool CanChangeOwner { get; } = LibC.GetEUid() == 0;

    /// <summary>The kind of <paramref name="path"/> without following a final symlink.</summary>
    internal static unsafe FileKind LStatKind(string path)
    {
        var buffer = stackalloc byte[LibC.StatxSize];
        if (LibC.Statx(LibC.AT_FDCWD, path, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.ENOENT)
            {
                return FileKind.Missing;
            }

            throw Failure("statx", path, errno);
        }

        var mode = *(ushort*)(buffer + 28);
        return (mode & FileTypeMask) switch
        {
            0x4000 => FileKind.Directory,
            0x8000 => FileKind.RegularFile,
            0xA000 => FileKind.Symlink,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            _ => FileKind.Socket,
        };
    }

    /// <summary>stx_blocks (512-byte units) of <paramref name="path"/> in bytes, not following a final symlink; 0 when it is missing.</summary>
    internal static unsafe long LStatAllocatedBytes(string path)
    {
        var buffer = stackalloc byte[LibC.StatxSize];
        if (LibC.Statx(LibC.AT_FDCWD, path, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.ENOENT)
                return 0;
            throw Failure("statx", path, errno);
        }

        return (long)(*(ulong*)(buffer + 48)) * 512;
    }

    internal static void LChown(string path, int uid, int gid)
    {
        if (LibC.LChown(path, (uint)uid, (uint)gid) != 0)
        {
            throw Failure("lchown", path, Marshal.GetLastPInvokeError());
        }
    }

    internal static void Link(string existingPath, string newPath)
    {
        if (LibC.Link(existingPath, newPath) != 0)
        {
            throw Failure("link", newPath, Marshal.GetLastPInvokeError());
        }
    }

    internal static void MkFifo(string path, UnixFileMode mode)
    {
        if (LibC.MkFifo(path, (uint)mode) != 0)
        {
            throw Failure("mkfifo", path, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Sets access and modification time of <paramref name="path"/> itself, even when it is a symlink.</summary>
    internal static unsafe void SetTimesNoFollow(string path, DateTimeOffset modified)
    {
        var seconds = modified.ToUnixTimeSeconds();
        var nanoseconds = (modified.UtcTicks % TimeSpan.TicksPerSecond) * 100;
        var times = stackalloc long[] { seconds, nanoseconds, seconds, nanoseconds };
        if (LibC.UtimensAt(LibC.AT_FDCWD, path, times, LibC.AT_SYMLINK_NOFOLLOW) != 0)
        {
            throw Failure("utimensat", path, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Makes a rename or create inside <paramref name="directory"/> survive a crash.</summary>
    internal static void FSyncDirectory(string directory)
    {
        var fd = LibC.Open(directory, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw Failure("open", directory, Marshal.GetLastPInvokeError());
        }

        try
        {
            if (LibC.FSync(fd) != 0)
            {
                throw Failure("fsync", directory, Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            LibC.Close(fd);
        }
    }

    /// <summary>
    /// Opens (creating) a lock file with a plain open(2): .NET's FileStream takes its own flock on open, which
    /// would clash with the flock this handle is used for.
    /// </summary>
    internal static SafeFileHandle OpenLockFile(string path)
    {
        var fd = LibC.Open(path, LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC, 0b110_100_100);
        if (fd < 0)
        {
            throw Failure("open", path, Marshal.GetLastPInvokeError());
        }

        return new SafeFileHandle((IntPtr)fd, ownsHandle: true);
    }

    /// <summary>Blocks until this handle holds the exclusive flock (retrying when a signal interrupts the wait).</summary>
    internal static void LockExclusive(SafeFileHandle handle, string path)
    {
        var fd = (int)handle.DangerousGetHandle();
        while (LibC.Flock(fd, LibC.LOCK_EX) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                throw Failure("flock", path, errno);
            }
        }
    }

    internal static void Unlock(SafeFileHandle handle) => LibC.Flock((int)handle.DangerousGetHandle(), LibC.LOCK_UN);

    private static IOException Failure(string call, string path, int errno) =>
        new($"{call} {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
}
