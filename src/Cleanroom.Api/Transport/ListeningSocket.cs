using System.Net;
using System.Net.Sockets;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Errors;
using Cleanroom.Errors;

namespace Cleanroom.Api.Transport;

/// <summary>The one real listening socket behind an address, unix or loopback TCP, and its cleanup.</summary>
internal sealed class ListeningSocket : IDisposable
{
    private readonly ulong _inode;

    private ListeningSocket(Socket socket, ApiAddress address, ulong inode)
    {
        Socket = socket;
        Address = address;
        _inode = inode;
    }

    public Socket Socket { get; }

    /// <summary>The address as bound: for http with port 0, the port the kernel chose.</summary>
    public ApiAddress Address { get; }

    public static async Task<ListeningSocket> OpenAsync(ApiAddress address, int backlog, CancellationToken cancellationToken)
    {
        switch (address)
        {
            case UnixApiAddress unix:
                var (socket, inode) = await UnixSocketFile.BindAsync(unix, backlog, cancellationToken).ConfigureAwait(false);
                return new ListeningSocket(socket, unix, inode);
            case TcpApiAddress tcp:
                return OpenTcp(tcp, backlog);
            default:
                throw new ArgumentException($"unsupported address {address}", nameof(address));
        }
    }

    private static ListeningSocket OpenTcp(TcpApiAddress address, int backlog)
    {
        // Plain HTTP carries policies and workload output unencrypted and unauthenticated: loopback only. (ApiHost
        // refuses it before anything binds; this is the last line.)
        if (address is HttpApiAddress && !address.IsLoopback)
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"refusing to serve plain HTTP on non-loopback address {address}; use 127.0.0.1, ::1 or a unix socket");
        if (!string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(address.Host.Trim('[', ']'), out _))
            throw new CleanroomException(ErrorCode.InvalidArgument, $"listen on an IP address (or localhost), not the name in {address}");
        var ip = string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            ? IPAddress.Loopback
            : IPAddress.Parse(address.Host.Trim('[', ']'));
        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // As Kestrel does: lets a restarted server rebind while old connections sit in TIME_WAIT.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(ip, address.Port));
            socket.Listen(backlog);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new ServerAlreadyRunningException(address, "the port is in use, by another cleanroom server or another program", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        ApiAddress boundAddress = address switch
        {
            HttpsApiAddress https => https with { Port = bound.Port },
            HttpApiAddress http => http with { Port = bound.Port },
            _ => address,
        };
        return new ListeningSocket(socket, boundAddress, 0);
    }

    public void Dispose()
    {
        Socket.Dispose();
        if (Address is UnixApiAddress unix)
        {
            try
            {
                UnixSocketFile.Remove(unix.Path, _inode);
            }
            catch (IOException)
            {
                // Best effort: a leftover socket file is replaced by the next server anyway.
            }
        }
    }
}
