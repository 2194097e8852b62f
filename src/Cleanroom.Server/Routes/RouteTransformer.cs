using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Cleanroom.Server.Routes;

/// <summary>
/// What a route's request looks like to the program in the sandbox: the browser's own Host header (a dev server's
/// host checks, redirects and multi-host apps see the name the user typed), and X-Forwarded-For/-Proto/-Host set by
/// this proxy, which is the edge: values a client sent in those headers are replaced, not trusted.
/// </summary>
internal sealed class RouteTransformer : HttpTransformer
{
    public static RouteTransformer Instance { get; } = new();

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var host = httpContext.Request.Host.Value ?? "";
        proxyRequest.Headers.Host = host;
        foreach (var name in new[] { "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded" })
            proxyRequest.Headers.Remove(name);
        if (httpContext.Connection.RemoteIpAddress is { } client)
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", client.ToString());
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", host);
    }
}
