using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;

namespace Cleanroom.Agent.Interop;

/// <summary>
/// The classic socket ioctls a VM's init uses to bring up its interfaces: set an IPv4 address and netmask,
/// set an interface up, add a route. No netlink: these few calls are all a guest with one link needs.
/// Layouts are x86-64/arm64 Linux (<c>struct ifreq</c> is 40 bytes, <c>struct rtentry</c> 120).
/// </summary>
internal static unsafe partial class NetSyscalls
{
    private const int AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
    private const nuint SIOCADDRT = 0x890B, SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914, SIOCSIFADDR = 0x8916, SIOCSIFNETMASK = 0x891C;
    private const short IFF_UP = 0x1;
    private const ushort RTF_UP = 0x1, RTF_GATEWAY = 0x2;
    private const int IfReqSize = 40, IfNameSize = 16, RtEntrySize = 120;

    public static void SetAddress(string device, IPAddress address, int prefixLength)
    {
        using var socket = Open();
        var request = IfReq(device);
        WriteSockAddr(request.AsSpan(IfNameSize), address);
        Ioctl(socket, SIOCSIFADDR, request, $"SIOCSIFADDR {device} {address}");
        request = IfReq(device);
        WriteSockAddr(request.AsSpan(IfNameSize), Netmask(prefixLength));
        Ioctl(socket, SIOCSIFNETMASK, request, $"SIOCSIFNETMASK {device} /{prefixLength}");
    }

    public static void SetUp(string device)
    {
        using var socket = Open();
        var request = IfReq(device);
        Ioctl(socket, SIOCGIFFLAGS, request, $"SIOCGIFFLAGS {device}");
        var flags = BinaryPrimitives.ReadInt16LittleEndian(request.AsSpan(IfNameSize));
        BinaryPrimitives.WriteInt16LittleEndian(request.AsSpan(IfNameSize), (short)(flags | IFF_UP));
        Ioctl(socket, SIOCSIFFLAGS, request, $"SIOCSIFFLAGS {device} up");
    }

    /// <summary>The default route: 0.0.0.0/0 via <paramref name="gateway"/> on <paramref name="device"/>.</summary>
    public static void AddDefaultRoute(string device, IPAddress gateway)
    {
        using var socket = Open();
        var entry = new byte[RtEntrySize];
        WriteSockAddr(entry.AsSpan(8), IPAddress.Any);       // rt_dst
        WriteSockAddr(entry.AsSpan(24), gateway);            // rt_gateway
        WriteSockAddr(entry.AsSpan(40), IPAddress.Any);      // rt_genmask
        BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(56), RTF_UP | RTF_GATEWAY); // rt_flags
        var name = NativeStrings.Utf8Z(device);
        fixed (byte* n = name)
        {
            BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(88), (long)n);        // rt_dev
            Ioctl(socket, SIOCADDRT, entry, $"SIOCADDRT default via {gateway} dev {device}");
        }
    }

    public static IPAddress Netmask(int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);
        var mask = prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, mask);
        return new IPAddress(bytes);
    }

    private static byte[] IfReq(string device)
    {
        var name = NativeStrings.Utf8Z(device);
        if (name.Length > IfNameSize)
            throw new ArgumentException($"interface name {device} is too long", nameof(device));
        var request = new byte[IfReqSize];
        name.CopyTo(request, 0);
        return request;
    }

    /// <summary>A <c>struct sockaddr_in</c>: family, port 0, the address in network order, zero padding.</summary>
    private static void WriteSockAddr(Span<byte> target, IPAddress address)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(target, AF_INET);
        target[2] = target[3] = 0;
        address.GetAddressBytes().CopyTo(target[4..]);
    }

    private static void Ioctl(SocketFd socket, nuint request, byte[] argument, string what)
    {
        fixed (byte* p = argument)
            if (LibC.Ioctl(socket.Fd, request, p) != 0)
                throw UnixException.FromLastError(what);
    }

    private static SocketFd Open()
    {
        var fd = Native.Socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw UnixException.FromLastError("socket AF_INET");
        return new SocketFd(fd);
    }

    private readonly struct SocketFd(int fd) : IDisposable
    {
        public int Fd => fd;

        public void Dispose() => LibC.Close(fd);
    }

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
        internal static partial int Socket(int domain, int type, int protocol);
    }
}
