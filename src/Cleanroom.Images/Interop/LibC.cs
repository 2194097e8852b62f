using System.Runtime.InteropServices;

namespace Cleanroom.Images.Interop;

/// <summary>
/// The few libc calls .NET does not expose: stat without following symlinks, lchown, link, mkfifo, flock,
/// utimensat on a symlink, and fsync of a directory. Callers use <see cref="FileSystemCalls"/>, never these.
/// </summary>
internal static partial class LibC
{
    internal const int AtFdCwd = -100;
    internal const int AtSymlinkNoFollow = 0x100;
    internal const uint StatxBasicStats = 0x7ff;
    internal const int StatxBufferSize = 256;

    internal const int OReadOnly = 0x0;
    internal const int OReadWrite = 0x2;
    internal const int OCreate = 0x40;
    internal const int ODirectory = 0x10000;
    internal const int OCloseOnExec = 0x80000;

    internal const int LockExclusive = 2;
    internal const int LockUnlock = 8;

    internal const int ENOENT = 2;
    internal const int EINTR = 4;

    // statx has one layout on every architecture, unlike struct stat, so the offsets below hold everywhere.
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LChown(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Link(string existingPath, string newPath);

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MkFifo(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int UtimensAt(int dirFd, string path, long* times, int flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    internal static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();
}
