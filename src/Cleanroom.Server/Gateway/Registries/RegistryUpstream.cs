using System.Net;
using System.Net.Http.Headers;

namespace Cleanroom.Server.Gateway.Registries;

/// <summary>
/// Reads from a registry upstream through the calling sandbox's own client (<see cref="UpstreamClient"/>: the policy and
/// address checks run on every connection). A 404/410 is the upstream's answer and passes to the client; any other
/// failure (no connection, a timeout, another status) is <see cref="RegistryUpstreamException"/> with
/// <see cref="RegistryUpstreamException.NotFound"/> false, which lets cached metadata be served stale.
/// </summary>
internal static class RegistryUpstream
{
    /// <summary>A metadata document is never larger than this (npm's largest package documents are tens of MB).</summary>
    public const int MaxDocumentBytes = 256 << 20;

    public static async Task<byte[]> DocumentAsync(UpstreamClient client, Uri uri, string accept, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        using var response = await SendAsync(client, uri, accept, timeout.Token).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength > MaxDocumentBytes)
            throw new RegistryUpstreamException($"{uri.Host}:{uri.Port} sent a document over {MaxDocumentBytes} bytes", false);
        try
        {
            return await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            throw new RegistryUpstreamException($"{uri.Host}:{uri.Port} did not send the whole document ({e.Message})", false, e);
        }
    }

    /// <summary>The body of a package file, streamed (the cache hashes it as it arrives).</summary>
    public static async Task<Stream> FileAsync(UpstreamClient client, Uri uri, CancellationToken cancellationToken)
    {
        var response = await SendAsync(client, uri, "application/octet-stream", cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<HttpResponseMessage> SendAsync(UpstreamClient client, Uri uri, string accept, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri) { Version = HttpVersion.Version11 };
        request.Headers.Accept.ParseAdd(accept);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("cleanroom-gateway", "1"));
        HttpResponseMessage response;
        try
        {
            response = await client.Invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            throw new RegistryUpstreamException($"{uri.Host}:{uri.Port} could not be reached ({Refusal(e) ?? e.GetType().Name})", false, e);
        }

        if (response.IsSuccessStatusCode)
            return response;
        response.Dispose();
        var notFound = response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone;
        throw new RegistryUpstreamException($"{uri.Host}:{uri.Port} answered {(int)response.StatusCode}", notFound);
    }

    private static string? Refusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is UpstreamRefusedException)
                return e.Message;
        }

        return null;
    }
}

/// <summary>A registry upstream failed, or answered that the package does not exist (<see cref="NotFound"/>).</summary>
internal sealed class RegistryUpstreamException(string message, bool notFound, Exception? inner = null) : Exception(message, inner)
{
    public bool NotFound => notFound;
}
