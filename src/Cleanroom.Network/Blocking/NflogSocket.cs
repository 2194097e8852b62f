using System.ComponentModel;
using System.Runtime.InteropServices;
using Cleanroom.Errors;
using Cleanroom.Network.Interop;

namespace Cleanroom.Network;

/// <summary>
/// A netlink socket bound to one nfnetlink_log group, plus an eventfd that wakes a blocked
/// <see cref="Receive"/> so the reader stops promptly on dispose instead of polling on a timer.
/// </summary>
internal sealed unsafe class NflogSocket : IDisposable
{
    // The IPv4 header (at most 60 bytes) and the first 4 bytes of TCP/UDP: the ports.
    private const uint CopyRange = 64;
    private const int ReceiveBufferBytes = 1 << 20;

    private readonly FileDescriptorHandle _socket;
    private readonly FileDescriptorHandle _wake;

    private NflogSocket(FileDescriptorHandle socket, FileDescriptorHandle wake)
    {
        _socket = socket;
        _wake = wake;
    }

    public static NflogSocket Open(ushort group)
    {
        FileDescriptorHandle? socket = null, wake = null;
        try
        {
            socket = FileDescriptorHandle.FromResult(
                LibC.Socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_NETFILTER), "socket(AF_NETLINK)");
            wake = FileDescriptorHandle.FromResult(LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK), "eventfd");
            using (var lease = socket.Borrow())
            {
                var address = new LibC.SockaddrNl { Family = LibC.AF_NETLINK };
                Check(LibC.Bind(lease.Fd, &address, sizeof(LibC.SockaddrNl)), "bind(AF_NETLINK)");
                var size = ReceiveBufferBytes;
                Check(LibC.SetSockOpt(lease.Fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, &size, sizeof(int)), "setsockopt(SO_RCVBUF)");
            }
            var nflog = new NflogSocket(socket, wake);
            nflog.Configure(NflogMessages.Bind(group, 1), group);
            nflog.Configure(NflogMessages.Mode(group, 2, CopyRange), group);
            return nflog;
        }
        catch (Exception e) when (e is Win32Exception or CleanroomException)
        {
            socket?.Dispose();
            wake?.Dispose();
            throw e as CleanroomException ?? new CleanroomException(ErrorCode.NetworkSetupFailed,
                $"cannot open the NFLOG reader for group {group}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Blocks until a datagram arrives (returns its length) or <see cref="Wake"/> is called (returns 0).
    /// A receive-queue overflow (ENOBUFS: log messages were lost) returns -1; reading can go on.
    /// </summary>
    public int Receive(Span<byte> buffer)
    {
        using var socket = _socket.Borrow();
        using var wake = _wake.Borrow();
        var fds = stackalloc LibC.PollFd[2];
        while (true)
        {
            fds[0] = new LibC.PollFd { Fd = socket.Fd, Events = LibC.POLLIN };
            fds[1] = new LibC.PollFd { Fd = wake.Fd, Events = LibC.POLLIN };
            if (LibC.Poll(fds, 2, -1) < 0)
            {
                if (Marshal.GetLastPInvokeError() == LibC.EINTR)
                    continue;
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "poll");
            }
            if (fds[1].Revents != 0)
                return 0;
            fixed (byte* p = buffer)
            {
                var n = LibC.Recv(socket.Fd, p, buffer.Length, 0);
                if (n >= 0)
                    return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.ENOBUFS)
                    return -1;
                if (errno is LibC.EINTR or LibC.EAGAIN)
                    continue;
                throw new Win32Exception(errno, "recv(AF_NETLINK)");
            }
        }
    }

    /// <summary>Makes a blocked or later <see cref="Receive"/> return 0.</summary>
    public void Wake()
    {
        using var wake = _wake.Borrow();
        ulong one = 1;
        LibC.Write(wake.Fd, (byte*)&one, sizeof(ulong));
    }

    public void Dispose()
    {
        _socket.Dispose();
        _wake.Dispose();
    }

    private void Configure(byte[] request, ushort group)
    {
        using var socket = _socket.Borrow();
        fixed (byte* p = request)
            if (LibC.Send(socket.Fd, p, request.Length, 0) < 0)
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "send(AF_NETLINK)");

        var reply = new byte[8192];
        fixed (byte* p = reply)
        {
            var n = LibC.Recv(socket.Fd, p, reply.Length, 0);
            if (n < 0)
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "recv(AF_NETLINK)");
            foreach (var message in NflogMessages.Messages(reply.AsMemory(0, (int)n)))
            {
                var error = NflogMessages.AckError(message.Span);
                if (error is > 0)
                    throw new CleanroomException(ErrorCode.NetworkSetupFailed,
                        $"the kernel refused NFLOG group {group}: {new Win32Exception(error.Value).Message}" +
                        (error == 16 ? " (another process already reads this group; set network.nflog_group to a free one)" : ""));
            }
        }
    }

    private static void Check(int result, string call)
    {
        if (result < 0)
            throw new Win32Exception(Marshal.GetLastPInvokeError(), call);
    }
}
