using System.Runtime.InteropServices;
using System.Net.Sockets;

namespace Cleanroom.Api.Transport;

/// <summary>
/// The process at the other end of a unix socket connection, as the kernel recorded it at connect (SO_PEERCRED): it
/// cannot be forged by the peer. Kept as a connection feature; its uid becomes the caller's principal.
/// </summary>
public sealed record PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>The peer of a connected unix socket; null for other sockets or when the kernel does not say.</summary>
    internal static PeerCredentials? Of(Socket socket)
    {
        if (socket.AddressFamily != AddressFamily.Unix) return null;
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }: three 32-bit fields in host order.
        Span<byte> ucred = stackalloc byte[12];
        try
        {
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) < 12) return null;
        }
        catch (SocketException)
        {
            return null;
        }
        return new PeerCredentials(MemoryMarshal.Read<int>(ucred), MemoryMarshal.Read<uint>(ucred[4..]), MemoryMarshal.Read<uint>(ucred[8..]));
    }
}
