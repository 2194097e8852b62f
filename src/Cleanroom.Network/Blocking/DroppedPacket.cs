using System.Net;

namespace Cleanroom.Network;

/// <summary>
/// One packet the deny chain logged: the log prefix (which names the sandbox), the input interface index,
/// and what the packet was aiming at. <see cref="DestinationPort"/> is 0 for protocols without ports.
/// </summary>
internal sealed record DroppedPacket(string Prefix, int InputInterface, IPAddress Destination, int DestinationPort, int SourcePort, int Protocol)
{
    public string ProtocolName => Protocol switch
    {
        6 => "tcp",
        17 => "udp",
        1 => "icmp",
        _ => Protocol.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
