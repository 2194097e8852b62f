using System.Net.Http;
using System.Net.Http.Headers;

namespace Cleanroom.Client;

/// <summary>Adds the caller's bearer token to every request (gRPC calls are HTTP requests underneath).</summary>
internal sealed class BearerTokenHandler(string token, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private readonly AuthenticationHeaderValue _header = new("Bearer", token);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = _header;
        return base.SendAsync(request, cancellationToken);
    }
}
