using System.Runtime.InteropServices;

namespace Cleanroom.Network.Interop;

/// <summary>
/// Raw libc entry points for netlink sockets (NFLOG, rtnetlink) and named network namespaces. Only the
/// wrappers in this component's Interop, Netlink and Namespaces folders call them; the rest sees
/// <see cref="FileDescriptorHandle"/>s and typed exceptions. Naming follows every Interop/LibC.cs in the
/// repository: methods are the C name in PascalCase with an explicit EntryPoint, constants keep the C name.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    internal const int AF_NETLINK = 16, AF_INET = 2, AF_UNSPEC = 0;
    internal const int SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000;
    internal const int NETLINK_ROUTE = 0, NETLINK_NETFILTER = 12;
    internal const int SOL_SOCKET = 1, SO_RCVBUF = 8;
    internal const int SOL_NETLINK = 270, NETLINK_NO_ENOBUFS = 5, NETLINK_EXT_ACK = 11;
    internal const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;
    internal const short POLLIN = 0x1;
    internal const int O_RDONLY = 0, O_CREAT = 0x40, O_EXCL = 0x80, O_CLOEXEC = 0x80000;
    internal const int CLONE_NEWNET = 0x40000000;
    internal const nuint MS_BIND = 0x1000, MS_REC = 0x4000, MS_SHARED = 1 << 20;
    internal const int MNT_DETACH = 2;

    internal const int ENOENT = 2, EINTR = 4, EAGAIN = 11, EEXIST = 17, ENODEV = 19, EINVAL = 22, ENOBUFS = 105;

    [StructLayout(LayoutKind.Sequential)]
    internal struct SockaddrNl
    {
        public ushort Family;
        public ushort Pad;
        public uint PortId;
        public uint Groups;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, SockaddrNl* address, int length);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(int fd, int level, int name, int* value, int length);

    [LibraryImport(Lib, EntryPoint = "send", SetLastError = true)]
    internal static partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport(Lib, EntryPoint = "recv", SetLastError = true)]
    internal static partial nint Recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initial, int flags);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, byte* buffer, nint length);

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "unshare", SetLastError = true)]
    internal static partial int Unshare(int flags);

    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    internal static partial int SetNs(int fd, int namespaceType);

    [LibraryImport(Lib, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mount(string? source, string target, string? fileSystemType, nuint flags, nint data);

    [LibraryImport(Lib, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Umount2(string target, int flags);
}
