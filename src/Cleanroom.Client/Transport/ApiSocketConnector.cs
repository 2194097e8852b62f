using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Errors;

namespace Cleanroom.Client;

/// <summary>
/// Opens the client's connection to an <see cref="ApiAddress"/> for SocketsHttpHandler, and turns "nobody is
/// listening there" into <see cref="ServerNotRunningException"/> at the point where it is still unambiguous.
/// </summary>
internal static class ApiSocketConnector
{
    public static async ValueTask<Stream> ConnectAsync(ApiAddress address, SocketsHttpConnectionContext context,
        CancellationToken cancellationToken)
    {
        var (endPoint, family, protocol) = address switch
        {
            UnixApiAddress unix => ((EndPoint)new UnixDomainSocketEndPoint(unix.Path), AddressFamily.Unix, ProtocolType.Unspecified),
            TcpApiAddress tcp => (new DnsEndPoint(tcp.Host.Trim('[', ']'), tcp.Port), AddressFamily.Unspecified, ProtocolType.Tcp),
            _ => throw new ArgumentException($"unsupported address {address}", nameof(address)),
        };
        var socket = family == AddressFamily.Unspecified
            ? new Socket(SocketType.Stream, protocol) // dual-mode: DnsEndPoint may resolve to IPv4 or IPv6
            : new Socket(family, SocketType.Stream, protocol);
        try
        {
            if (protocol == ProtocolType.Tcp) socket.NoDelay = true;
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused
                                             or SocketError.AddressNotAvailable or SocketError.HostNotFound)
        {
            socket.Dispose();
            // ENOENT (no socket file) surfaces as AddressNotAvailable; a leftover file with no server as refused.
            throw new ServerNotRunningException(address, ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
