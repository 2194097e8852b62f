using System.Buffers.Binary;
using System.Net;
using Cleanroom.Network.Interop;
using static Cleanroom.Network.Netlink.NetlinkSocket;

namespace Cleanroom.Network.Netlink;

/// <summary>
/// The rtnetlink requests (linux/rtnetlink.h, if_link.h, veth.h) this component sends, as
/// <c>ip link add ... type veth peer ... netns</c>, <c>ip link set ... up|alias</c>, <c>ip addr add</c>,
/// <c>ip route add default via</c> and <c>ip link del</c> would. Pure message construction.
/// </summary>
internal static class RouteRequests
{
    public const ushort RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_GETADDR = 22, RTM_NEWROUTE = 24;
    public const ushort IFLA_IFNAME = 3, IFLA_LINKINFO = 18, IFLA_IFALIAS = 20, IFLA_NET_NS_FD = 28;
    public const ushort IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, VETH_INFO_PEER = 1;
    public const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2;
    public const ushort RTA_OIF = 4, RTA_GATEWAY = 5;
    public const uint IFF_UP = 1;
    public const int InterfaceHeaderLength = 16;
    public const int AddressHeaderLength = 8;
    private const byte RT_TABLE_MAIN = 254, RTPROT_BOOT = 3, RT_SCOPE_UNIVERSE = 0, RTN_UNICAST = 1;

    private const ushort Create = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    private const ushort Change = NLM_F_REQUEST | NLM_F_ACK;

    /// <summary>A veth pair: <paramref name="name"/> here, <paramref name="peerName"/> made directly inside the namespace <paramref name="peerNamespaceFd"/>.</summary>
    public static NetlinkRequest NewVethPair(string name, string peerName, int peerNamespaceFd)
    {
        var request = new NetlinkRequest(RTM_NEWLINK, Create, $"RTM_NEWLINK veth {name} peer {peerName}")
            .Bytes(InterfaceHeader(0, 0, 0))
            .String(IFLA_IFNAME, name);
        var linkInfo = request.BeginNested(IFLA_LINKINFO);
        request.String(IFLA_INFO_KIND, "veth");
        var data = request.BeginNested(IFLA_INFO_DATA);
        // The peer is an ifinfomsg followed by its own attributes, inside VETH_INFO_PEER.
        var peer = request.BeginNested(VETH_INFO_PEER);
        request.Bytes(InterfaceHeader(0, 0, 0)).String(IFLA_IFNAME, peerName).UInt32(IFLA_NET_NS_FD, (uint)peerNamespaceFd);
        request.EndNested(peer);
        request.EndNested(data);
        request.EndNested(linkInfo);
        return request;
    }

    public static NetlinkRequest SetAlias(string name, string alias) =>
        new NetlinkRequest(RTM_NEWLINK, Change, $"RTM_NEWLINK {name} alias")
            .Bytes(InterfaceHeader(0, 0, 0)).String(IFLA_IFNAME, name).String(IFLA_IFALIAS, alias);

    public static NetlinkRequest SetUp(string name) =>
        new NetlinkRequest(RTM_NEWLINK, Change, $"RTM_NEWLINK {name} up")
            .Bytes(InterfaceHeader(0, IFF_UP, IFF_UP)).String(IFLA_IFNAME, name);

    public static NetlinkRequest DeleteLink(string name) =>
        new NetlinkRequest(RTM_DELLINK, Change, $"RTM_DELLINK {name}")
            .Bytes(InterfaceHeader(0, 0, 0)).String(IFLA_IFNAME, name);

    public static NetlinkRequest GetLink(string name) =>
        new NetlinkRequest(RTM_GETLINK, NLM_F_REQUEST, $"RTM_GETLINK {name}")
            .Bytes(InterfaceHeader(0, 0, 0)).String(IFLA_IFNAME, name);

    public static NetlinkRequest DumpLinks() =>
        new NetlinkRequest(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, "RTM_GETLINK dump").Bytes(InterfaceHeader(0, 0, 0));

    public static NetlinkRequest DumpIpv4Addresses() =>
        new NetlinkRequest(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, "RTM_GETADDR dump")
            .Bytes([LibC.AF_INET, 0, 0, 0, 0, 0, 0, 0]);

    public static NetlinkRequest NewIpv4Address(int index, IPAddress address, int prefixLength)
    {
        var header = new byte[AddressHeaderLength];
        header[0] = LibC.AF_INET;
        header[1] = (byte)prefixLength;
        header[3] = RT_SCOPE_UNIVERSE;
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), (uint)index);
        var bytes = Ipv4(address);
        return new NetlinkRequest(RTM_NEWADDR, Create, $"RTM_NEWADDR {address}/{prefixLength} on link {index}")
            .Bytes(header).Attribute(IFA_LOCAL, bytes).Attribute(IFA_ADDRESS, bytes);
    }

    public static NetlinkRequest NewDefaultRoute(IPAddress gateway, int index)
    {
        // rtmsg: family, dst_len 0 (default), src_len, tos, table, protocol, scope, type, flags.
        byte[] header = [LibC.AF_INET, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0, 0, 0, 0];
        return new NetlinkRequest(RTM_NEWROUTE, Create, $"RTM_NEWROUTE default via {gateway}")
            .Bytes(header).Attribute(RTA_GATEWAY, Ipv4(gateway)).UInt32(RTA_OIF, (uint)index);
    }

    /// <summary>struct ifinfomsg: family, pad, type, index, flags, change.</summary>
    private static byte[] InterfaceHeader(int index, uint flags, uint change)
    {
        var header = new byte[InterfaceHeaderLength];
        header[0] = LibC.AF_UNSPEC;
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), index);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), change);
        return header;
    }

    private static byte[] Ipv4(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? address.GetAddressBytes()
            : throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));
}
