using Cleanroom.Errors;

namespace Cleanroom.Server.Gateway.Registries;

/// <summary>
/// The Go module proxy protocol (<c>/go/HOST[:PORT]/BASE/...</c>, what <c>GOPROXY</c> points at). Module zips and go.mod
/// files of canonical versions are immutable: cached by the sha256 of the bytes first stored and pinned to it (see
/// <see cref="RegistryCache.PinnedFileAsync"/>), so an upstream that later sends other bytes for the same version is refused
/// with <c>registry_integrity_mismatch</c>. Version lists, <c>@latest</c>, <c>.info</c> and the checksum database's answers
/// are metadata: kept for the metadata lifetime, served stale when the upstream fails. The checksum database
/// (<c>sumdb/NAME/...</c>) is passed through byte for byte: the go client verifies its signed tree heads and tiles itself,
/// so a cached or stale answer can only be older, never forged.
/// </summary>
internal sealed partial class RegistryRequestHandler
{
    private async Task GoModuleAsync(RegistryRequest request, UpstreamClient client, RegistryEndpoint endpoint, string relative)
    {
        if (GoModulePath.Classify(relative) is not { } kind)
            throw new RegistryRefusal(404, ErrorCode.GatewayRouteUnknown,
                "go routes serve the module proxy protocol (MODULE/@v/list, MODULE/@v/VERSION.info|.mod|.zip, MODULE/@latest, with case-encoded paths) and sumdb/NAME/...");
        if (GoModulePath.Immutable(kind))
        {
            var upstream = new Uri(endpoint.Base, relative);
            var scope = endpoint.Scope;
            await ServeFileAsync(request, scope.Kind, upstream, cache.FindPinnedFile(scope, relative) is not null,
                token => cache.PinnedFileAsync(scope, relative, t => RegistryUpstream.FileAsync(client, upstream, t), token));
            return;
        }

        var (document, state) = await MetadataAsync(request, client, endpoint, relative);
        request.Cache = state;
        await WriteAsync(request, GoModulePath.ContentType(kind), document);
    }
}
