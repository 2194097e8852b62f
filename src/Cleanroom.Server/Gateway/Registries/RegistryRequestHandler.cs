using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cleanroom.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Gateway.Registries;

/// <summary>
/// One registry request (<see cref="RegistryRoute"/>): the registry must be one the runtime config names and its host
/// and port allowed by the caller's active stage (else <c>registry_not_allowed</c>); metadata is served from the cache
/// while younger than <c>metadata_ttl_seconds</c>, else fetched (and, when the upstream fails, served stale with a
/// warning event), and rewritten so that package files come through the gateway; package files are served from the
/// verified cache, filled on a miss (<c>registry_integrity_mismatch</c> when the bytes do not match the metadata's digest).
/// </summary>
internal sealed partial class RegistryRequestHandler(
    RegistryEndpoints endpoints, RegistryCache cache, TimeSpan metadataTtl, GatewayAudit audit, TimeProvider clock, ILogger logger)
{
    private readonly SingleFlight<byte[]> _metadataFills = new();

    public Task HandleAsync(HttpContext context, GatewayCaller caller, RegistryRoute route, UpstreamClient? client) =>
        RunAsync(new RegistryRequest(context, caller, route), client, (request, upstream) =>
            route.Kind == RegistryRoute.PyPi && route.Path.StartsWith($"/{PypiIndexPage.FilesSegment}/", StringComparison.Ordinal)
                ? PypiFileAsync(request, upstream)
                : RegistryPathAsync(request, upstream));

    /// <summary>A plain download by URL and digest (<see cref="DownloadRoute"/>); audited as a <c>download</c> of the upstream's host and path.</summary>
    public Task HandleAsync(HttpContext context, GatewayCaller caller, DownloadRoute route, UpstreamClient? client) =>
        RunAsync(new RegistryRequest(context, caller, new RegistryRoute(DownloadRoute.Kind, route.Host, route.Port, route.Path)), client,
            (request, upstream) => DownloadAsync(request, upstream, route));

    private async Task RunAsync(RegistryRequest request, UpstreamClient? client, Func<RegistryRequest, UpstreamClient, Task> serve)
    {
        try
        {
            if (client is null)
                throw new RegistryRefusal(403, ErrorCode.GatewayCallerUnknown, "the sandbox is going away");
            await serve(request, client);
        }
        catch (RegistryRefusal refusal)
        {
            await GatewayResponses.RefuseAsync(request.Context, new GatewayRefusal(refusal.Status, refusal.Code, refusal.Message, request.Route.Kind));
            Record(request, false, refusal.Code);
        }
    }

    private async Task RegistryPathAsync(RegistryRequest request, UpstreamClient client)
    {
        var route = request.Route;
        if (endpoints.Match(route) is not var (endpoint, relative))
            throw NotAllowed($"{route.Kind} registry {RegistryRoute.Authority(route.Host, route.Port)}{route.Path} is not one this host serves (runtime config registries.{route.Kind})");
        if (route.Kind == RegistryRoute.Npm)
            relative = relative.Replace("%2f", "/", StringComparison.OrdinalIgnoreCase); // @scope%2fname (checked by GatewayRequestTarget)
        RequireAllowed(request.Caller, route.Host, route.Port, route.Kind);
        if (route.Kind == RegistryRoute.Go)
        {
            await GoModuleAsync(request, client, endpoint, relative);
            return;
        }

        var kind = Classify(route.Kind, relative);
        if (kind == PathKind.Unknown)
            throw new RegistryRefusal(404, ErrorCode.GatewayRouteUnknown, route.Kind == RegistryRoute.Npm
                ? "npm routes serve package documents (NAME, @SCOPE/NAME) and their tarballs (NAME/-/FILE.tgz)"
                : "pypi routes serve project pages (PROJECT/) and, through the links in them, files");

        var key = kind == PathKind.NpmTarball ? NpmDocumentKey(relative) : relative;
        var (document, state) = await MetadataAsync(request, client, endpoint, key);
        if (kind == PathKind.NpmTarball)
        {
            if (NpmDocument.Tarball(document, endpoint.Base, relative) is not var (digest, upstream, version))
                throw new RegistryRefusal(404, ErrorCode.GatewayRouteUnknown, $"no version in {key}'s package document names this tarball with a usable integrity");
            CheckLockfile(request, key, version);
            await FileAsync(request, client, endpoint.Scope, digest, upstream);
            return;
        }

        var gatewayBase = endpoint.GatewayBase(request.Caller.GatewayAuthority);
        byte[] body;
        try
        {
            body = route.Kind == RegistryRoute.Npm
                ? NpmDocument.Rewrite(document, endpoint.Base, gatewayBase)
                : PypiIndexPage.Rewrite(document, new Uri(endpoint.Base, relative), $"http://{request.Caller.GatewayAuthority}/pypi/{RegistryRoute.Authority(route.Host, route.Port)}/");
        }
        catch (InvalidDataException e)
        {
            throw new RegistryRefusal(502, ErrorCode.GatewayUpstreamFailed, e.Message);
        }

        request.Cache = state;
        await WriteAsync(request, route.Kind == RegistryRoute.Npm ? "application/json" : "text/html; charset=utf-8", body);
    }

    /// <summary><c>/pypi/INDEX/-files/sha256-HEX/FILEHOST[:PORT]/PATH</c>, as <see cref="PypiIndexPage"/> writes the links (pip sends the ':' encoded).</summary>
    private async Task PypiFileAsync(RegistryRequest request, UpstreamClient client)
    {
        var route = request.Route;
        if (endpoints.OnHost(RegistryRoute.PyPi, route.Host, route.Port) is null)
            throw NotAllowed($"pypi registry {RegistryRoute.Authority(route.Host, route.Port)} is not one this host serves (runtime config registries.pypi)");
        RequireAllowed(request.Caller, route.Host, route.Port, route.Kind);
        var segments = route.Path.Split('/');
        if (segments.Length < 5 || !segments[2].StartsWith("sha256-", StringComparison.Ordinal)
            || ContentDigest.FromHex("sha256", segments[2]["sha256-".Length..]) is not { } digest || FileHost(Uri.UnescapeDataString(segments[3])) is not var (host, port))
            throw new RegistryRefusal(404, ErrorCode.GatewayRouteUnknown, $"pypi file routes are {PypiIndexPage.FilesSegment}/sha256-HEX/HOST[:PORT]/PATH, as the gateway's index pages link them");
        // The file's own host must be allowed too: the cache keeps files by the host they came from.
        RequireAllowed(request.Caller, host, port, route.Kind);
        var upstream = new Uri($"{(port == 443 ? "https" : "http")}://{host}:{port}/{string.Join('/', segments[4..])}");
        await FileAsync(request, client, new RegistryScope(RegistryRoute.PyPi, host, port), digest, upstream);
    }

    private Task FileAsync(RegistryRequest request, UpstreamClient client, RegistryScope scope, ContentDigest digest, Uri upstream) =>
        ServeFileAsync(request, scope.Kind, upstream, cache.FindFile(scope, digest) is not null,
            token => cache.FileAsync(scope, digest, t => RegistryUpstream.FileAsync(client, upstream, t), token));

    /// <summary>Serves an immutable file from the cache, <paramref name="fill"/> filling (and verifying) it on a miss.</summary>
    private async Task ServeFileAsync(RegistryRequest request, string kind, Uri upstream, bool cached, Func<CancellationToken, Task<string>> fill)
    {
        request.Cache = cached ? "hit" : "miss";
        // Eviction may take the file between the fill and the open; the second round fills it again.
        for (var round = 0; ; round++)
        {
            string path;
            try
            {
                path = await fill(request.Context.RequestAborted);
            }
            catch (RegistryIntegrityException e)
            {
                logger.LogWarning("gateway: {Sandbox} {Kind} {Upstream}: {Message}; refused, not cached", request.Caller.SandboxId, kind, upstream, e.Message);
                throw new RegistryRefusal(502, ErrorCode.RegistryIntegrityMismatch, $"{upstream.AbsolutePath}: {e.Message}; refused and not cached");
            }
            catch (RegistryUpstreamException e)
            {
                throw new RegistryRefusal(e.NotFound ? 404 : 502, ErrorCode.GatewayUpstreamFailed, e.Message);
            }

            FileStream file;
            try
            {
                file = File.OpenRead(path);
            }
            catch (FileNotFoundException) when (round == 0)
            {
                continue;
            }

            await using (file)
            {
                var response = request.Context.Response;
                response.StatusCode = 200;
                response.ContentType = "application/octet-stream";
                response.ContentLength = file.Length;
                if (!HttpMethods.IsHead(request.Context.Request.Method))
                    await file.CopyToAsync(response.Body, request.Context.RequestAborted);
                request.BytesOut = file.Length;
            }

            Record(request, true, request.Reason);
            return;
        }
    }

    /// <summary>Fresh from the cache, else from the upstream (one fetch per document at a time), else stale from the cache.</summary>
    private async Task<(byte[] Document, string State)> MetadataAsync(RegistryRequest request, UpstreamClient client, RegistryEndpoint endpoint, string relative)
    {
        var scope = endpoint.Scope;
        var cached = cache.FindMetadata(scope, relative);
        if (cached is not null && clock.GetUtcNow() - cached.FetchedAt < metadataTtl)
            return (cached.Document, "hit");
        try
        {
            var fetched = await _metadataFills.RunAsync($"{scope.Directory}\n{relative}", async () =>
            {
                var accept = endpoint.Kind switch { RegistryRoute.Npm => "application/json", RegistryRoute.PyPi => "text/html", _ => "*/*" };
                var document = await RegistryUpstream.DocumentAsync(client, new Uri(endpoint.Base, relative), accept, CancellationToken.None);
                if (endpoint.Kind == RegistryRoute.Npm && !IsJsonObject(document))
                    throw new RegistryUpstreamException($"{endpoint.Base.Host}:{endpoint.Base.Port} sent a package document that is not a JSON object", false);
                await cache.StoreMetadataAsync(scope, relative, document, CancellationToken.None);
                return document;
            }, request.Context.RequestAborted);
            return (fetched, "miss");
        }
        catch (RegistryUpstreamException e) when (!e.NotFound && cached is not null)
        {
            var age = clock.GetUtcNow() - cached.FetchedAt;
            logger.LogWarning("gateway: {Sandbox} {Kind} {Registry}{Path}: {Error}; serving the cached copy from {Age:F0} s ago", request.Caller.SandboxId,
                endpoint.Kind, endpoint.Base, relative, e.Message, age.TotalSeconds);
            audit.Warn(request.Caller, $"registry {endpoint.Kind} {endpoint.Base}{relative}: the upstream failed ({e.Message}); served the cached metadata fetched {age.TotalSeconds:F0} s ago (stale)");
            return (cached.Document, "stale");
        }
        catch (RegistryUpstreamException e)
        {
            throw new RegistryRefusal(e.NotFound ? 404 : 502, ErrorCode.GatewayUpstreamFailed, e.Message);
        }
    }

    private static bool IsJsonObject(byte[] document)
    {
        try
        {
            return JsonNode.Parse(document) is JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private async Task WriteAsync(RegistryRequest request, string contentType, byte[] body)
    {
        var response = request.Context.Response;
        response.StatusCode = 200;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        response.Headers.CacheControl = "no-cache";
        if (!HttpMethods.IsHead(request.Context.Request.Method))
            await response.Body.WriteAsync(body, request.Context.RequestAborted);
        request.BytesOut = body.Length;
        Record(request, true, "ok");
    }

    private static void RequireAllowed(GatewayCaller caller, string host, int port, string kind)
    {
        if (caller.Network.AllowedPortsFor(host) is not { } ports || (ports.Length > 0 && !ports.Contains(port)))
            throw NotAllowed($"{kind}: {host}:{port} is not allowed by this sandbox's policy in its current stage");
    }

    private static RegistryRefusal NotAllowed(string message) => new(403, ErrorCode.RegistryNotAllowed, message);

    private enum PathKind { Unknown, Metadata, NpmTarball }

    private static PathKind Classify(string kind, string relative)
    {
        if (kind == RegistryRoute.PyPi)
            return PypiProject().IsMatch(relative) ? PathKind.Metadata : PathKind.Unknown;
        if (NpmTarball().IsMatch(relative))
            return PathKind.NpmTarball;
        return NpmName().IsMatch(relative) ? PathKind.Metadata : PathKind.Unknown;
    }

    /// <summary>The package document a tarball path belongs to: <c>NAME</c> of <c>NAME/-/FILE.tgz</c> (or <c>@SCOPE/NAME</c>).</summary>
    private static string NpmDocumentKey(string tarballPath) => tarballPath[..tarballPath.IndexOf("/-/", StringComparison.Ordinal)];

    private static (string Host, int Port)? FileHost(string segment)
    {
        var colon = segment.IndexOf(':');
        var host = colon < 0 ? segment : segment[..colon];
        var port = 443;
        if (colon >= 0 && !(int.TryParse(segment[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535))
            return null;
        return FileHostName().IsMatch(host) ? (host, port) : null;
    }

    private void Record(RegistryRequest request, bool allowed, string reason) =>
        audit.Record(new GatewayRequestRecord(request.Caller, request.Route.Kind, request.Context.Request.Method, request.Route.Host, request.Route.Port,
            request.Route.Path, allowed, reason, request.Context.Response.StatusCode, 0, request.BytesOut, false, null, request.Cache));

    // npm package names: lowercase letters, digits and - . _ ~ (older packages may have capitals), optionally @scope/.
    [GeneratedRegex("^(?:@[a-zA-Z0-9][a-zA-Z0-9._~-]*/)?[a-zA-Z0-9][a-zA-Z0-9._~-]*$")]
    private static partial Regex NpmName();

    [GeneratedRegex("^(?:@[a-zA-Z0-9][a-zA-Z0-9._~-]*/)?[a-zA-Z0-9][a-zA-Z0-9._~-]*/-/[a-zA-Z0-9][a-zA-Z0-9._~@+-]*\\.tgz$")]
    private static partial Regex NpmTarball();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*/$")]
    private static partial Regex PypiProject();

    [GeneratedRegex("^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")]
    private static partial Regex FileHostName();

    /// <summary>One request's state for its audit record.</summary>
    private sealed class RegistryRequest(HttpContext context, GatewayCaller caller, RegistryRoute route)
    {
        public HttpContext Context => context;
        public GatewayCaller Caller => caller;
        public RegistryRoute Route => route;
        public string? Cache { get; set; }

        /// <summary>Why an allowed request was allowed: "ok", or a warning such as <c>lockfile_violation</c> in warn mode.</summary>
        public string Reason { get; set; } = "ok";
        public long BytesOut { get; set; }
    }

    private sealed class RegistryRefusal(int status, string code, string message) : Exception(message)
    {
        public int Status => status;
        public string Code => code;
    }
}
