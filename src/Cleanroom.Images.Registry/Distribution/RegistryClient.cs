using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Cleanroom.Errors;
using Cleanroom.Images.Registry.Auth;

namespace Cleanroom.Images.Registry.Distribution;

/// <summary>
/// The pull side of the OCI distribution API: manifests by tag or digest (GET and HEAD) and blobs (GET, with a
/// Range to resume). Each request goes out with the cached authorization for its repository; a 401 is answered
/// once (token or basic) and the request sent again. Transport failures become registry_unreachable.
/// </summary>
internal sealed class RegistryClient(HttpClient http, RegistryAuthenticator authenticator)
{
    // A manifest or index is a small JSON document; anything larger is not one (and is not read into memory).
    private const int MaxManifestBytes = 4 * 1024 * 1024;

    /// <summary>Fetches a manifest or index; by digest, its bytes must hash to that digest.</summary>
    public async Task<ManifestDocument> GetManifestAsync(RepositoryLocation where, string tagOrDigest, CancellationToken cancellationToken)
    {
        var what = $"manifest {where.Registry}/{where.Repository}{(tagOrDigest.StartsWith("sha256:", StringComparison.Ordinal) ? "@" : ":")}{tagOrDigest}";
        using var response = await SendAsync(where, () => ManifestRequest(HttpMethod.Get, where, tagOrDigest), what,
            HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength > MaxManifestBytes)
        {
            throw new CleanroomException(ErrorCode.ImageInvalid, $"{what} is larger than {MaxManifestBytes} bytes");
        }

        var bytes = await ReadLimitedAsync(response, where, what, cancellationToken).ConfigureAwait(false);
        var actual = Digest.Parse("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));
        var claimed = DigestHeader(response);
        if (Digest.TryParse(tagOrDigest, out var asked, out _) && asked != actual)
        {
            throw new CleanroomException(ErrorCode.DigestMismatch, $"{what} arrived with content that hashes to {actual}; the registry or something between is serving the wrong bytes");
        }

        if (claimed is { } header && header != actual)
        {
            throw new CleanroomException(ErrorCode.DigestMismatch, $"{what}: the registry says its digest is {header}, but its content hashes to {actual}");
        }

        return ManifestDocument.Parse(bytes, actual, response.Content.Headers.ContentType?.MediaType, what);
    }

    /// <summary>The digest a tag points at now, by HEAD (Docker-Content-Digest); by GET when the header is missing.</summary>
    public async Task<Digest> ResolveDigestAsync(RepositoryLocation where, string tag, CancellationToken cancellationToken)
    {
        var what = $"manifest {where.Registry}/{where.Repository}:{tag}";
        using (var response = await SendAsync(where, () => ManifestRequest(HttpMethod.Head, where, tag), what,
                   HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false))
        {
            if (DigestHeader(response) is { } digest)
            {
                return digest;
            }
        }

        return (await GetManifestAsync(where, tag, cancellationToken).ConfigureAwait(false)).Digest;
    }

    /// <summary>
    /// Starts a blob download from <paramref name="offset"/> (a Range request when above 0). The caller reads the
    /// body and checks the status: 206 from the offset, or 200 from the start when the registry ignores Range.
    /// </summary>
    public Task<HttpResponseMessage> GetBlobAsync(RepositoryLocation where, Digest digest, long offset, CancellationToken cancellationToken) =>
        SendAsync(where, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, where.BlobUri(digest));
            if (offset > 0)
            {
                request.Headers.Range = new RangeHeaderValue(offset, null);
            }

            return request;
        }, $"blob {digest} of {where.Registry}/{where.Repository}", HttpCompletionOption.ResponseHeadersRead, cancellationToken,
        acceptRangeNotSatisfiable: true);

    private static HttpRequestMessage ManifestRequest(HttpMethod method, RepositoryLocation where, string tagOrDigest)
    {
        var request = new HttpRequestMessage(method, where.ManifestUri(tagOrDigest));
        foreach (var mediaType in ManifestDocument.Accepted)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        }

        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(
        RepositoryLocation where, Func<HttpRequestMessage> build, string what, HttpCompletionOption completion,
        CancellationToken cancellationToken, bool acceptRangeNotSatisfiable = false)
    {
        var response = await SendOnceAsync(where, build, authenticator.Cached(where), completion, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            AuthenticationHeaderValue answer;
            using (response)
            {
                authenticator.Forget(where);
                answer = await authenticator.AnswerAsync(where, response, what, cancellationToken).ConfigureAwait(false);
            }

            response = await SendOnceAsync(where, build, answer, completion, cancellationToken).ConfigureAwait(false);
        }

        if (response.IsSuccessStatusCode || (acceptRangeNotSatisfiable && response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable))
        {
            return response;
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                authenticator.Forget(where);
            }

            throw await RegistryFailure.FromResponseAsync(where, response, what, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(
        RepositoryLocation where, Func<HttpRequestMessage> build, AuthenticationHeaderValue? authorization,
        HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = build();
        request.Headers.Authorization = authorization;
        try
        {
            return await http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or Polly.Timeout.TimeoutRejectedException
                                  || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw RegistryFailure.Unreachable(where, e);
        }
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, RepositoryLocation where, string what, CancellationToken cancellationToken)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > MaxManifestBytes)
                {
                    throw new CleanroomException(ErrorCode.ImageInvalid, $"{what} is larger than {MaxManifestBytes} bytes");
                }
            }

            return buffer.ToArray();
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw RegistryFailure.Unreachable(where, e);
        }
    }

    private static Digest? DigestHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Docker-Content-Digest", out var values)
        && Digest.TryParse(values.First().Trim(), out var digest, out _)
            ? digest
            : null;
}
