using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// The upstream request of one git route: the route's own URI (host, port, scheme, checked path), the Host header that
/// URI implies, the host's credential when one is configured (replacing whatever the guest sent), and no forwarding
/// headers: the upstream learns nothing of the sandbox's addresses.
/// </summary>
internal sealed class GitTransformer(GitRoute route, AuthenticationHeaderValue? authorization) : HttpTransformer
{
    private static readonly string[] Dropped = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix", "Forwarded", "Proxy-Authorization", "Cookie"];

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.RequestUri = route.UpstreamUri;
        proxyRequest.Headers.Host = null; // from the URI
        foreach (var name in Dropped)
            proxyRequest.Headers.Remove(name);
        if (authorization is not null)
        {
            proxyRequest.Headers.Remove("Authorization");
            proxyRequest.Headers.Authorization = authorization;
        }
    }
}
