using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// The upstream request of one secrets route: the route's own URI (host, port, scheme, checked path), the Host header
/// that URI implies, no forwarding headers, and each planned header replaced by its secret's rendered value (the
/// placeholder the guest sent never leaves the host). On the way back, a response header that echoes a value is
/// dropped: the gateway never hands a value to the sandbox, even one the upstream reflects.
/// </summary>
internal sealed class SecretsTransformer(SecretsRoute route, IReadOnlyList<(string Header, string Value)> headers) : HttpTransformer
{
    private static readonly string[] Dropped = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix", "Forwarded", "Proxy-Authorization"];

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.RequestUri = route.UpstreamUri;
        proxyRequest.Headers.Host = null; // from the URI
        foreach (var name in Dropped)
            proxyRequest.Headers.Remove(name);
        foreach (var (header, value) in headers)
        {
            proxyRequest.Headers.Remove(header);
            if (!proxyRequest.Headers.TryAddWithoutValidation(header, value))
            {
                proxyRequest.Content?.Headers.Remove(header);
                proxyRequest.Content?.Headers.TryAddWithoutValidation(header, value);
            }
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        var responseHeaders = httpContext.Response.Headers;
        foreach (var name in responseHeaders.Keys.ToArray())
        {
            if (responseHeaders[name].Any(v => v is not null && headers.Any(h => v.Contains(h.Value, StringComparison.Ordinal))))
                responseHeaders.Remove(name);
        }

        return proceed;
    }
}
