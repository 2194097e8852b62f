using Cleanroom.Errors;

namespace Cleanroom.Server.Gateway.Registries;

/// <summary>
/// Plain immutable downloads by URL and digest (<see cref="DownloadRoute"/>): forwarded only to a host and port the
/// caller's active stage allows (else <c>registry_not_allowed</c>), verified against the digest the request names before
/// anything is stored or served (<c>registry_integrity_mismatch</c> otherwise, nothing kept), cached by that digest in the
/// scope of the host it came from, so a sandbox that may not reach the host is not served its files.
/// </summary>
internal sealed partial class RegistryRequestHandler
{
    private Task DownloadAsync(RegistryRequest request, UpstreamClient client, DownloadRoute route)
    {
        RequireAllowed(request.Caller, route.Host, route.Port, DownloadRoute.Kind);
        return FileAsync(request, client, new RegistryScope(DownloadRoute.Kind, route.Host, route.Port), route.Digest, route.Upstream);
    }
}
