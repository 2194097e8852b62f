using System.Runtime.InteropServices;

namespace Cleanroom.Api.Interop;

/// <summary>The kind of filesystem object at a path, as lstat reports it (symlinks are not followed).</summary>
internal enum UnixFileKind
{
    Other,
    Regular,
    Directory,
    Symlink,
    Socket,
}

/// <summary>What the socket hygiene code needs to know about a path: its kind, owner, permission bits and inode.</summary>
internal sealed record UnixFileStatus(UnixFileKind Kind, uint OwnerId, UnixFileMode Mode, ulong Inode)
{
    /// <summary>The effective uid of this process.</summary>
    public static uint EffectiveUserId => EffectiveUser.Id;

    /// <summary>The status of <paramref name="path"/>, or null when nothing is there.</summary>
    public static UnixFileStatus? Get(string path)
    {
        Span<byte> buffer = stackalloc byte[LibC.StatxSize];
        if (LibC.Statx(LibC.AT_FDCWD, path, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == 2 /* ENOENT */) return null;
            throw new IOException($"statx({path}) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        // Offsets from <linux/stat.h>: stx_uid at 20, stx_mode (u16) at 28, stx_ino at 32.
        var uid = MemoryMarshal.Read<uint>(buffer[20..]);
        var mode = MemoryMarshal.Read<ushort>(buffer[28..]);
        var inode = MemoryMarshal.Read<ulong>(buffer[32..]);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => UnixFileKind.Regular,
            0x4000 => UnixFileKind.Directory,
            0xA000 => UnixFileKind.Symlink,
            0xC000 => UnixFileKind.Socket,
            _ => UnixFileKind.Other,
        };
        return new UnixFileStatus(kind, uid, (UnixFileMode)(mode & 0xFFF), inode);
    }
}
