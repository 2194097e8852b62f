using System.Runtime.InteropServices;

namespace Cleanroom.Api.Interop;

/// <summary>The few libc calls .NET has no API for. Nothing outside <see cref="Interop"/> sees these.</summary>
internal static partial class LibC
{
    internal const int AtFdCwd = -100;
    internal const int AtSymlinkNoFollow = 0x100;
    internal const uint StatxBasicStats = 0x7ff;

    /// <summary>struct statx is 256 bytes with the same layout on every architecture, unlike struct stat.</summary>
    internal const int StatxSize = 256;

    [LibraryImport("libc", SetLastError = false)]
    internal static partial uint geteuid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int statx(int dirfd, string pathname, int flags, uint mask, Span<byte> buffer);
}
