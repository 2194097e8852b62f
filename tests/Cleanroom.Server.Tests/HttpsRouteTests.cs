using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Cleanroom.Api.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Tests;

/// <summary>
/// HTTPS routes through the server's real router (YARP, TLS with the local CA, SNI): the host-process double's
/// "guest port" is a Kestrel app of this test that shows the headers it got and echoes WebSocket messages.
/// </summary>
public sealed class HttpsRouteTests : IAsyncLifetime
{
    private ServerUnderTest _server = null!;
    private WebApplication _app = null!;
    private string _sandboxId = null!;
    private int _appPort;

    public async Task InitializeAsync()
    {
        _server = await ServerUnderTest.StartAsync();
        var created = await _server.RunCliAsync("create");
        Assert.Equal(0, created.ExitCode);
        _sandboxId = created.Out.Trim();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.UseWebSockets();
        _app.Map("/headers", (HttpContext context) =>
            $"host={context.Request.Host}\nproto={context.Request.Headers["X-Forwarded-Proto"]}\nforwarded-host={context.Request.Headers["X-Forwarded-Host"]}\nfor={context.Request.Headers["X-Forwarded-For"]}\n");
        _app.Map("/echo", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var message = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (message.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }
                await socket.SendAsync(buffer.AsMemory(0, message.Count), message.MessageType, message.EndOfMessage, CancellationToken.None);
            }
        });
        await _app.StartAsync();
        _appPort = new Uri(_app.Urls.First()).Port;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_route_serves_the_guest_port_over_tls_with_the_host_header_kept_and_forwarded_headers_set()
    {
        var (route, ca) = await RouteAsync(_sandboxId, "web");
        using var client = TrustingOnly(ca, route.Port);

        var headers = await client.GetStringAsync(new Uri(route, "/headers"));

        Assert.Contains($"host=web.cleanroom.localhost:{route.Port}", headers);
        Assert.Contains("proto=https", headers);
        Assert.Contains($"forwarded-host=web.cleanroom.localhost:{route.Port}", headers);
        Assert.Contains("for=127.0.0.1", headers);
    }

    [Fact]
    public async Task A_websocket_echo_works_through_the_route()
    {
        var (route, ca) = await RouteAsync(_sandboxId, "live");
        using var invoker = new HttpMessageInvoker(Handler(ca, route.Port));
        using var socket = new ClientWebSocket();

        await socket.ConnectAsync(new Uri($"wss://{route.Authority}/echo"), invoker, CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            var text = $"reload {i}";
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[256];
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal(text, Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    [Fact]
    public async Task The_ca_is_name_constrained_and_a_host_without_a_route_gets_no_certificate()
    {
        var (route, ca) = await RouteAsync(_sandboxId, "web");
        var constraints = ca.Extensions["2.5.29.30"];
        Assert.NotNull(constraints);
        Assert.True(constraints.Critical);

        using var client = TrustingOnly(ca, route.Port);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync($"https://nothing.cleanroom.localhost:{route.Port}/headers"));
    }

    [Fact]
    public async Task A_name_another_sandbox_holds_is_refused_and_a_route_goes_with_its_sandbox()
    {
        var (route, ca) = await RouteAsync(_sandboxId, "web");
        var other = (await _server.RunCliAsync("create")).Out.Trim();
        using var grpc = _server.Client();

        var taken = await Assert.ThrowsAsync<Cleanroom.Api.Errors.RemoteErrorException>(() => grpc.Ports.ExposePortsAsync(Request(other, "web")).ResponseAsync);
        Assert.Equal("route_in_use", taken.Code);

        await _server.Server.Control.TerminateSandboxAsync(_sandboxId, CancellationToken.None);
        using var client = TrustingOnly(ca, route.Port);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync(new Uri(route, "/headers")));
        var again = await grpc.Ports.ExposePortsAsync(Request(other, "web"));
        Assert.Equal("web", Assert.Single(again.Https).Name);
    }

    private ExposePortsRequest Request(string sandboxId, string name)
    {
        var request = new ExposePortsRequest { SandboxId = sandboxId };
        request.Https.Add(new HttpsRoute { Name = name, GuestPort = (uint)_appPort });
        return request;
    }

    private async Task<(Uri Route, X509Certificate2 Ca)> RouteAsync(string sandboxId, string name)
    {
        using var grpc = _server.Client();
        var response = await grpc.Ports.ExposePortsAsync(Request(sandboxId, name));
        var route = Assert.Single(response.Https);
        Assert.StartsWith($"https://{name}.cleanroom.localhost:", route.Url);
        return (new Uri(route.Url), X509CertificateLoader.LoadCertificateFromFile(response.CertificateAuthorityPath));
    }

    /// <summary>Trusts the route CA and nothing else; every *.cleanroom.localhost name goes to the router on loopback.</summary>
    private static SocketsHttpHandler Handler(X509Certificate2 ca, int routerPort) => new()
    {
        ConnectCallback = async (_, token) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, routerPort, token);
            return new NetworkStream(socket, ownsSocket: true);
        },
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null)
                    return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            },
        },
    };

    private static HttpClient TrustingOnly(X509Certificate2 ca, int routerPort) => new(Handler(ca, routerPort));
}
