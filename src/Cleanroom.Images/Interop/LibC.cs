using System.Runtime.InteropServices;

namespace Cleanroom.Images.Interop;

/// <summary>
/// The few libc calls .NET does not expose: stat without following symlinks, lchown, link, mkfifo, flock,
/// utimensat on a symlink, and fsync of a directory. Callers use <see cref="FileSystemCalls"/>, never these.
/// Naming follows every Interop/LibC.cs in the repository: methods are the C name in PascalCase with an explicit
/// EntryPoint, constants keep the C name.
/// </summary>
/// <remarks>
/// <c>statx</c> and <c>geteuid</c> are declared in Cleanroom.Api's LibC.cs too. They stay duplicated on purpose:
/// the only project both reference is Cleanroom.Errors (the stable error codes), and libc interop does not belong
/// there; a shared interop project would add a dependency to both for two one-line declarations.
/// </remarks>
internal static partial class LibC
{
    private const string Lib = "libc";

    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const uint STATX_BASIC_STATS = 0x7ff;

    /// <summary>struct statx is 256 bytes with the same layout on every architecture, unlike struct stat.</summary>
    internal const int StatxSize = 256;

    internal const int O_RDONLY = 0x0, O_RDWR = 0x2, O_CREAT = 0x40, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;
    internal const int LOCK_EX = 2, LOCK_UN = 8;
    internal const int ENOENT = 2, EINTR = 4;

    // statx has one layout on every architecture, unlike struct stat, so the offsets the callers read hold everywhere.
    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport(Lib, EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LChown(string path, uint uid, uint gid);

    [LibraryImport(Lib, EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Link(string existingPath, string newPath);

    [LibraryImport(Lib, EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MkFifo(string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int UtimensAt(int dirFd, string path, long* times, int flags);

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int FSync(int fd);

    [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    internal static partial uint GetEUid();
}
