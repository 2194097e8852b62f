using System.Runtime.InteropServices;

namespace Cleanroom.Api.Interop;

/// <summary>
/// The few libc calls .NET has no API for. Nothing outside <see cref="Interop"/> sees these. Naming follows every
/// Interop/LibC.cs in the repository: methods are the C name in PascalCase with an explicit EntryPoint, constants
/// keep the C name. <c>statx</c> and <c>geteuid</c> are also declared in Cleanroom.Images; why they are not shared
/// is in that file's remarks. This assembly's geteuid is Cleanroom.Client's (EffectiveUser), shared with the client.
/// </summary>
internal static partial class LibC
{
    private const string Lib = "libc";

    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const uint STATX_BASIC_STATS = 0x7ff;

    /// <summary>struct statx is 256 bytes with the same layout on every architecture, unlike struct stat.</summary>
    internal const int StatxSize = 256;

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(int dirFd, string path, int flags, uint mask, Span<byte> buffer);
}
