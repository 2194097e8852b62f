using Cleanroom.Errors;

namespace Cleanroom.Server.Routes;

/// <summary>One HTTPS route: requests for any of <see cref="Hosts"/> go to <see cref="GuestPort"/> in the sandbox.</summary>
internal sealed record HttpsRouteEntry(string SandboxId, string Name, ushort GuestPort, IReadOnlyList<string> Hosts)
{
    /// <summary>The key of the route's upstream connections (distinct per sandbox and port, so pools never mix).</summary>
    public string UpstreamKey => $"{SandboxId}-{GuestPort}.route.invalid";
}

/// <summary>
/// Which sandbox port answers which host. A host pattern belongs to one sandbox at a time (another sandbox asking for
/// it gets <c>route_in_use</c>); the same sandbox asking again replaces its route. Thread-safe.
/// </summary>
internal sealed class HttpsRouteTable
{
    private readonly List<HttpsRouteEntry> _routes = [];

    public void Add(IReadOnlyList<HttpsRouteEntry> routes)
    {
        lock (_routes)
        {
            foreach (var route in routes)
            foreach (var host in route.Hosts)
            {
                if (_routes.FirstOrDefault(r => r.SandboxId != route.SandboxId && r.Hosts.Contains(host)) is { } taken)
                    throw new CleanroomException(ErrorCode.RouteInUse, $"https://{host} already routes to sandbox {taken.SandboxId}; pick another name");
            }
            foreach (var route in routes)
            {
                _routes.RemoveAll(r => r.SandboxId == route.SandboxId && r.Hosts.Intersect(route.Hosts).Any());
                _routes.Add(route);
            }
        }
    }

    /// <summary>The route answering <paramref name="host"/> (no port, any case): an exact host before a wildcard.</summary>
    public HttpsRouteEntry? Match(string host)
    {
        host = host.ToLowerInvariant();
        lock (_routes)
            return _routes.FirstOrDefault(r => r.Hosts.Contains(host))
                ?? _routes.FirstOrDefault(r => r.Hosts.Any(pattern => RouteHosts.Matches(pattern, host)));
    }

    public HttpsRouteEntry? ByUpstreamKey(string key)
    {
        lock (_routes)
            return _routes.FirstOrDefault(r => r.UpstreamKey == key);
    }

    public IReadOnlyList<HttpsRouteEntry> Of(string sandboxId)
    {
        lock (_routes)
            return _routes.Where(r => r.SandboxId == sandboxId).ToList();
    }

    public int RemoveSandbox(string sandboxId)
    {
        lock (_routes)
            return _routes.RemoveAll(r => r.SandboxId == sandboxId);
    }
}
