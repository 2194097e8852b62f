using System.Collections.Immutable;
using Cleanroom.Policy;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server.Gateway.Registries;

/// <summary>One registry the runtime config names: its protocol and base URL (ending in <c>/</c>).</summary>
internal sealed record RegistryEndpoint(string Kind, Uri Base)
{
    public RegistryScope Scope => new(Kind, Base.Host, Base.Port);

    /// <summary>This registry's base as the guest reaches it through the gateway.</summary>
    public string GatewayBase(string gatewayAuthority) =>
        $"http://{gatewayAuthority}/{Kind}/{RegistryRoute.Authority(Base.Host, Base.Port)}{Base.AbsolutePath}";
}

/// <summary>
/// The registries the runtime config's <c>registries:</c> names: which one a route means, and what a sandbox's guest
/// environment gets (<c>npm_config_registry</c>, <c>PIP_INDEX_URL</c> and <c>PIP_TRUSTED_HOST</c>, the gateway being
/// plain HTTP; <c>GOPROXY</c>) for the first of each protocol whose host and port some stage of its policy allows. GOSUMDB
/// and GONOSUMDB are left alone: the go client keeps checking modules against its checksum database, which it reaches
/// through the same proxy (<c>/sumdb/</c>, passed through unmodified).
/// </summary>
internal sealed class RegistryEndpoints(RegistrySettings settings)
{
    private readonly ImmutableArray<RegistryEndpoint> _all =
        [
            .. settings.Npm.Select(u => new RegistryEndpoint(RegistryRoute.Npm, u)),
            .. settings.PyPi.Select(u => new RegistryEndpoint(RegistryRoute.PyPi, u)),
            .. settings.Go.Select(u => new RegistryEndpoint(RegistryRoute.Go, u)),
        ];

    /// <summary>The declared registry of the route's protocol on its host and port whose base path the route's path is under (the longest), or null.</summary>
    public (RegistryEndpoint Endpoint, string Relative)? Match(RegistryRoute route) =>
        _all.Where(e => e.Kind == route.Kind && string.Equals(e.Base.Host, route.Host, StringComparison.OrdinalIgnoreCase) && e.Base.Port == route.Port)
            .Where(e => route.Path.StartsWith(e.Base.AbsolutePath, StringComparison.Ordinal))
            .OrderByDescending(e => e.Base.AbsolutePath.Length)
            .Select(e => ((RegistryEndpoint, string)?)(e, route.Path[e.Base.AbsolutePath.Length..]))
            .FirstOrDefault();

    /// <summary>The declared registry of a protocol on a host and port (for routes outside any base path, e.g. PyPI files), or null.</summary>
    public RegistryEndpoint? OnHost(string kind, string host, int port) =>
        _all.FirstOrDefault(e => e.Kind == kind && string.Equals(e.Base.Host, host, StringComparison.OrdinalIgnoreCase) && e.Base.Port == port);

    public IReadOnlyList<KeyValuePair<string, string>> GuestEnvironment(StageRules? stages, string gatewayAuthority, string gatewayAddress)
    {
        if (stages is null)
            return [];
        var allowed = StageRules.StageNames.SelectMany(s => stages[s]).ToList();
        bool Allowed(RegistryEndpoint e) => allowed.Any(r => r.Host == e.Base.Host.ToLowerInvariant() && r.Ports.Contains(e.Base.Port));
        var environment = new List<KeyValuePair<string, string>>();
        if (_all.FirstOrDefault(e => e.Kind == RegistryRoute.Npm && Allowed(e)) is { } npm)
            environment.Add(new("npm_config_registry", npm.GatewayBase(gatewayAuthority)));
        if (_all.FirstOrDefault(e => e.Kind == RegistryRoute.PyPi && Allowed(e)) is { } pypi)
        {
            environment.Add(new("PIP_INDEX_URL", pypi.GatewayBase(gatewayAuthority)));
            environment.Add(new("PIP_TRUSTED_HOST", gatewayAddress));
        }

        // The gateway's URL alone, no ",direct": a module the proxy does not have must fail, not go around the gateway.
        if (_all.FirstOrDefault(e => e.Kind == RegistryRoute.Go && Allowed(e)) is { } go)
            environment.Add(new("GOPROXY", go.GatewayBase(gatewayAuthority)));

        return environment;
    }
}
