using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Cleanroom.Api.Addressing;

namespace Cleanroom.Api.Tests.Support;

/// <summary>Plain HttpClients (no gRPC library) that reach an ApiAddress with a chosen HTTP version.</summary>
public static class RawHttp
{
    public static HttpClient Client(ApiAddress address, Version version)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = address is UnixApiAddress
                    ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                    : new Socket(SocketType.Stream, ProtocolType.Tcp);
                EndPoint endPoint = address switch
                {
                    UnixApiAddress unix => new UnixDomainSocketEndPoint(unix.Path),
                    HttpApiAddress http => new DnsEndPoint(http.Host, http.Port),
                    _ => throw new ArgumentException(address.ToString()),
                };
                await socket.ConnectAsync(endPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler)
        {
            BaseAddress = address is HttpApiAddress h ? new Uri(h.ToString()) : new Uri("http://localhost"),
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }
}
