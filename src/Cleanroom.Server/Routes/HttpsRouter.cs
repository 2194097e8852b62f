using System.Net;
using Cleanroom.ControlPlane;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Cleanroom.Server.Routes;

/// <summary>
/// The one HTTPS reverse proxy of the server (YARP's forwarder on a Kestrel listener of its own): TLS with a certificate
/// per route host from the local CA (chosen by SNI; a name no route answers gets no certificate), then each request
/// forwarded to the route's port in its sandbox over a connection the sandbox's agent makes (HTTP/1.1, WebSocket
/// upgrades included). Unknown hosts get 404 with what is routed instead.
/// </summary>
internal sealed class HttpsRouter : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _upstream;

    private HttpsRouter(WebApplication app, HttpMessageInvoker upstream, int port)
    {
        _app = app;
        _upstream = upstream;
        Port = port;
    }

    /// <summary>The port the router listens on (the chosen one when 0 was configured).</summary>
    public int Port { get; }

    public static async Task<HttpsRouter> StartAsync(
        IPEndPoint endpoint, HttpsRouteTable table, LocalCertificateAuthority authority, SandboxControl control, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var upstream = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            // Each pooled connection holds a connection in the sandbox; idle ones go soon.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectCallback = async (context, token) =>
            {
                var route = table.ByUpstreamKey(context.DnsEndPoint.Host)
                    ?? throw new HttpRequestException($"the route {context.DnsEndPoint.Host} was removed");
                var connection = await control.Ports(route.SandboxId).ConnectPortAsync(route.GuestPort, token);
                return connection.Stream;
            },
        });

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.AddHttpForwarder();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https => https.ServerCertificateSelector = (_, name) =>
                    name is not null && table.Match(name) is not null ? authority.CertificateFor(name.ToLowerInvariant()) : null);
            });
        });
        var app = builder.Build();
        var logger = loggers.CreateLogger<HttpsRouter>();
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var config = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(10) };
        app.UseWebSockets();
        app.Run(async context =>
        {
            var host = context.Request.Host.Host;
            if (table.Match(host) is not { } route)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                await context.Response.WriteAsync($"cleanroom: no route for {host}\n");
                return;
            }
            var error = await forwarder.SendAsync(context, $"http://{route.UpstreamKey}/", upstream, config, RouteTransformer.Instance);
            if (error != ForwarderError.None)
            {
                var failure = context.Features.Get<IForwarderErrorFeature>()?.Exception;
                logger.LogInformation("route {Host} -> sandbox {SandboxId} port {Port}: {Error} {Message}", host, route.SandboxId, route.GuestPort, error, failure?.Message);
            }
        });
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        return new HttpsRouter(app, upstream, new Uri(bound).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
