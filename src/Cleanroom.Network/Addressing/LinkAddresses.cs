using System.Net;

namespace Cleanroom.Network;

/// <summary>
/// The /30 of one sandbox link: the host end (default gateway and policy resolver) and the sandbox end
/// (the only source address the sandbox may use).
/// </summary>
public sealed record LinkAddresses(Ipv4Subnet Subnet, IPAddress HostAddress, IPAddress SandboxAddress)
{
    public const int PrefixLength = 30;

    /// <summary>The /30 at <paramref name="index"/> inside <paramref name="pool"/>: host end .1, sandbox end .2.</summary>
    public static LinkAddresses At(Ipv4Subnet pool, uint index)
    {
        var network = pool.Network + index * 4;
        return new LinkAddresses(new Ipv4Subnet(network, PrefixLength),
            Ipv4Subnet.ToAddress(network + 1), Ipv4Subnet.ToAddress(network + 2));
    }
}
