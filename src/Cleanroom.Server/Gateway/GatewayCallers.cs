using System.Collections.Concurrent;
using System.Net;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// The live sandboxes the gateway serves, keyed by their link's sandbox address. A connection is a sandbox's only when
/// it comes from that sandbox's own address <em>and</em> arrived at the host end of that same link: the firewall's
/// anti-spoofing (prerouting: a link only carries its sandbox's source address) makes the source sound, and the local
/// address rules out a connection that reached another sandbox's listener. Anything else — a host process, another
/// sandbox, a removed sandbox — is nobody.
/// </summary>
internal sealed class GatewayCallers
{
    private readonly ConcurrentDictionary<IPAddress, GatewayCaller> _bySandboxAddress = new();

    public void Add(GatewayCaller caller)
    {
        if (!_bySandboxAddress.TryAdd(caller.SandboxAddress, caller))
            throw new InvalidOperationException($"the address {caller.SandboxAddress} already belongs to a sandbox the gateway serves");
    }

    /// <summary>Forgets the sandbox, if this exact registration is still the one held for its address.</summary>
    public void Remove(GatewayCaller caller) =>
        _bySandboxAddress.TryRemove(new KeyValuePair<IPAddress, GatewayCaller>(caller.SandboxAddress, caller));

    /// <summary>The sandbox a connection from <paramref name="remote"/> to <paramref name="local"/> belongs to, or null.</summary>
    public GatewayCaller? Identify(IPAddress? remote, IPAddress? local)
    {
        if (remote is null || local is null)
            return null;
        remote = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        local = local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local;
        return _bySandboxAddress.TryGetValue(remote, out var caller) && caller.GatewayAddress.Equals(local) ? caller : null;
    }

    public int Count => _bySandboxAddress.Count;
}
