using System.Runtime.InteropServices;

namespace Cleanroom.Agent.Interop;

/// <summary>
/// lstat(2): the one question .NET's file APIs do not answer is "is this a regular file, a directory, a
/// link, or a FIFO/device/socket" without opening it (opening a FIFO to hash it would block forever).
/// </summary>
internal static unsafe partial class FileStatus
{
    public enum Kind { Regular, Directory, SymbolicLink, Other }

    public readonly record struct Info(Kind Kind, uint Permissions, long Size, long ModifiedUnixSeconds);

    // struct stat on x86-64 Linux (glibc and musl share the kernel layout): st_mode at 24, st_size at 48,
    // st_mtim.tv_sec at 88, 144 bytes in all.
    private const int StatSize = 144;
    private const int ModeOffset = 24;
    private const int SizeOffset = 48;
    private const int ModifiedOffset = 88;

    public static Info? Lstat(string path)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
            throw new PlatformNotSupportedException("the agent's lstat layout is defined for x86-64 only");
        var nativePath = NativeStrings.Utf8Z(path);
        var buffer = stackalloc byte[StatSize];
        fixed (byte* p = nativePath)
        {
            if (LStat(p, buffer) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is Errno.ENOENT or Errno.ENOTDIR)
                    return null;
                throw new UnixException($"lstat {path}", errno);
            }
        }
        var mode = *(uint*)(buffer + ModeOffset);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => Kind.Regular,
            0x4000 => Kind.Directory,
            0xA000 => Kind.SymbolicLink,
            _ => Kind.Other,
        };
        return new Info(kind, mode & 0xFFF, *(long*)(buffer + SizeOffset), *(long*)(buffer + ModifiedOffset));
    }

    [LibraryImport("libc", EntryPoint = "lstat", SetLastError = true)]
    private static partial int LStat(byte* path, byte* buffer);
}
