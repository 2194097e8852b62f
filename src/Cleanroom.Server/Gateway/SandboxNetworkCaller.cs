using System.Collections.Immutable;
using System.Net;
using Cleanroom.Network;

namespace Cleanroom.Server.Gateway;

/// <summary>A sandbox's network, as the gateway asks it about its policy.</summary>
internal sealed class SandboxNetworkCaller(SandboxNetwork network) : IGatewayCallerNetwork
{
    public ImmutableArray<int>? AllowedPortsFor(string host) => network.AllowedPortsFor(host);

    public Task<ImmutableArray<IPAddress>> ResolveAllowedAsync(string host, CancellationToken cancellationToken) =>
        network.ResolveAllowedAsync(host, cancellationToken);

    public string? ExecutionId => network.ExecutionId;
}
