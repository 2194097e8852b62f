using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Cleanroom.Network.Interop;

namespace Cleanroom.Network.Netlink;

/// <summary>
/// A netlink socket of one protocol, in the network namespace of the thread that opened it (a socket keeps
/// that namespace for life, whichever thread uses it later). Requests are answered synchronously by the
/// kernel, so each call sends one request and reads until its acknowledgement or the end of its dump. Not
/// for concurrent use: one socket per caller.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    public const ushort NLM_F_REQUEST = 0x1, NLM_F_ACK = 0x4, NLM_F_ROOT = 0x100, NLM_F_MATCH = 0x200, NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    public const ushort NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
    private const ushort NLMSG_ERROR = 2, NLMSG_DONE = 3;
    private const ushort NLM_F_ACK_TLVS = 0x200, NLMSGERR_ATTR_MSG = 1;
    private const int NETLINK_CAP_ACK = 10;
    private const int ReceiveBufferBytes = 64 * 1024;

    private readonly FileDescriptorHandle _socket;
    private readonly byte[] _receive = new byte[ReceiveBufferBytes];
    private uint _sequence;

    private NetlinkSocket(FileDescriptorHandle socket) => _socket = socket;

    public static NetlinkSocket Open(int protocol)
    {
        var socket = FileDescriptorHandle.FromResult(LibC.Socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, protocol), "socket(AF_NETLINK)");
        try
        {
            using var lease = socket.Borrow();
            var address = new LibC.SockaddrNl { Family = LibC.AF_NETLINK };
            Check(LibC.Bind(lease.Fd, &address, sizeof(LibC.SockaddrNl)), "bind(AF_NETLINK)");
            // Extended acks carry the kernel's own reason ("Nexthop has invalid gateway"); capped acks leave out
            // the echoed request. Both are best effort: older kernels ignore them.
            var one = 1;
            LibC.SetSockOpt(lease.Fd, LibC.SOL_NETLINK, LibC.NETLINK_EXT_ACK, &one, sizeof(int));
            LibC.SetSockOpt(lease.Fd, LibC.SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(int));
            return new NetlinkSocket(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request that changes something and waits for the kernel's acknowledgement.</summary>
    public void Execute(NetlinkRequest request)
    {
        var sequence = Send(request);
        while (true)
            foreach (var message in ReceiveBatch())
                if (Sequence(message) == sequence && IsAck(message, request))
                    return;
    }

    /// <summary>Sends a GET request for one object and returns the kernel's answer (without its nlmsghdr).</summary>
    public byte[] Query(NetlinkRequest request)
    {
        var sequence = Send(request);
        byte[]? answer = null;
        while (true)
            foreach (var message in ReceiveBatch())
            {
                if (Sequence(message) != sequence)
                    continue;
                if (Type(message) == NLMSG_ERROR)
                {
                    if (IsAck(message, request))
                        return answer ?? throw new NetlinkException(LibC.ENOENT, request.Description);
                    continue;
                }
                answer = message[NetlinkRequest.HeaderLength..];
                if ((request.Flags & NLM_F_ACK) == 0)
                    return answer;
            }
    }

    /// <summary>Sends a dump request and returns every answer (without nlmsghdr) up to the end of the dump.</summary>
    public IReadOnlyList<byte[]> Dump(NetlinkRequest request)
    {
        var sequence = Send(request);
        var answers = new List<byte[]>();
        while (true)
            foreach (var message in ReceiveBatch())
            {
                if (Sequence(message) != sequence)
                    continue;
                var type = Type(message);
                if (type == NLMSG_DONE)
                    return answers;
                if (type == NLMSG_ERROR)
                {
                    IsAck(message, request);
                    return answers;
                }
                answers.Add(message[NetlinkRequest.HeaderLength..]);
            }
    }

    public void Dispose() => _socket.Dispose();

    private uint Send(NetlinkRequest request)
    {
        var sequence = ++_sequence;
        var bytes = request.ToArray(sequence);
        using var lease = _socket.Borrow();
        fixed (byte* p = bytes)
        {
            while (LibC.Send(lease.Fd, p, bytes.Length, 0) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != LibC.EINTR)
                    throw new NetlinkException(errno, $"send {request.Description}");
            }
        }
        return sequence;
    }

    private List<byte[]> ReceiveBatch()
    {
        using var lease = _socket.Borrow();
        nint n;
        fixed (byte* p = _receive)
        {
            while ((n = LibC.Recv(lease.Fd, p, _receive.Length, 0)) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != LibC.EINTR)
                    throw new NetlinkException(errno, "recv(AF_NETLINK)");
            }
        }
        var messages = new List<byte[]>();
        var offset = 0;
        while (offset + NetlinkRequest.HeaderLength <= n)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(_receive.AsSpan(offset));
            if (length < NetlinkRequest.HeaderLength || offset + length > n)
                break;
            messages.Add(_receive.AsSpan(offset, length).ToArray());
            offset += NetlinkRequest.Align(length);
        }
        return messages;
    }

    /// <summary>True for a positive acknowledgement; throws with the errno (and the kernel's message) for a negative one.</summary>
    private static bool IsAck(byte[] message, NetlinkRequest request)
    {
        if (Type(message) != NLMSG_ERROR || message.Length < NetlinkRequest.HeaderLength + 4)
            return false;
        var error = -BinaryPrimitives.ReadInt32LittleEndian(message.AsSpan(NetlinkRequest.HeaderLength));
        if (error == 0)
            return true;
        throw new NetlinkException(error, request.Description, KernelMessage(message));
    }

    private static string? KernelMessage(byte[] message)
    {
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(6));
        if ((flags & NLM_F_ACK_TLVS) == 0)
            return null;
        // nlmsghdr, the error, then the echoed request's header (capped: no payload), then attributes.
        var attributes = NetlinkRequest.HeaderLength + 4 + NetlinkRequest.HeaderLength;
        foreach (var (type, value) in NetlinkAttributes.Parse(message.AsSpan(Math.Min(attributes, message.Length))))
            if (type == NLMSGERR_ATTR_MSG)
                return Encoding.UTF8.GetString(value).TrimEnd('\0');
        return null;
    }

    private static ushort Type(byte[] message) => BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(4));

    private static uint Sequence(byte[] message) => BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(8));

    private static void Check(int result, string call)
    {
        if (result < 0)
            throw new NetlinkException(Marshal.GetLastPInvokeError(), call);
    }
}
