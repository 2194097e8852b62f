using System.Collections.Immutable;
using System.Net;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// One sandbox as the gateway knows it: its id and policy hash, the two ends of its link (the only source address
/// the firewall lets it send from, and the host address the gateway listens on for it), and what its policy allows
/// right now (the network's active stage, asked per request, so a stage switch applies at once), and its secret
/// bindings with the placeholders that stand for them in this sandbox, and the npm lockfile its policy holds it to.
/// </summary>
internal sealed record GatewayCaller(
    string SandboxId,
    string PolicyHash,
    IPAddress SandboxAddress,
    IPAddress GatewayAddress,
    int GatewayPort,
    IGatewayCallerNetwork Network,
    ImmutableArray<SandboxSecret> Secrets = default,
    Cleanroom.Policy.NpmLockfilePolicy? NpmLockfile = null)
{
    /// <summary>The gateway's address as this sandbox must name it in the Host header (and in CLEANROOM_GATEWAY).</summary>
    public string GatewayAuthority => $"{GatewayAddress}:{GatewayPort}";
}

/// <summary>What the gateway asks a sandbox's network (Cleanroom.Network's <c>SandboxNetwork</c>; a double in unit tests).</summary>
internal interface IGatewayCallerNetwork
{
    /// <summary>The ports the active stage allows the name on; null when not allowed; empty means any (allow-all).</summary>
    ImmutableArray<int>? AllowedPortsFor(string host);

    /// <summary>The name's IPv4 addresses by the policy resolver's own rules; empty when not allowed or unknown.</summary>
    Task<ImmutableArray<IPAddress>> ResolveAllowedAsync(string host, CancellationToken cancellationToken);

    /// <summary>The execution events are attributed to while one runs.</summary>
    string? ExecutionId { get; }
}
