using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Cleanroom.Network;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// Addresses the gateway never connects to, whatever a name resolves to. The gateway runs on the host, so unlike a
/// sandbox's own (forwarded) traffic its connections could reach the host itself: a policy-allowed name answering
/// 127.0.0.1, a host interface's address, or a sandbox link would make the gateway a way into the host or into another
/// sandbox. Refused: loopback, unspecified, multicast/broadcast, link-local, the sandbox pool, and every address
/// assigned to this host. Non-IPv4 is refused too (sandboxes have no IPv6, and the policy resolver answers A only).
/// </summary>
internal sealed class UpstreamAddressPolicy(string pool)
{
    private readonly Ipv4Subnet _pool = Ipv4Subnet.TryParse(pool, out var subnet)
        ? subnet : throw new ArgumentException($"'{pool}' is not an IPv4 CIDR", nameof(pool));

    public string? WhyRefused(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
            return "not an IPv4 address";
        var bytes = address.GetAddressBytes();
        if (bytes[0] is 0 or 127)
            return "a loopback or unspecified address";
        if (bytes[0] >= 224)
            return "a multicast or reserved address";
        if (bytes[0] == 169 && bytes[1] == 254)
            return "a link-local address";
        if (_pool.Contains(address))
            return "an address in the sandbox pool";
        if (HostAddresses().Contains(address))
            return "an address of this host";
        return null;
    }

    private static HashSet<IPAddress> HostAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .ToHashSet();
}
