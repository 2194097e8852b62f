using System.Buffers.Binary;
using System.Net;
using System.Text;
using Cleanroom.Network.Interop;

namespace Cleanroom.Network.Netlink;

/// <summary>A link as a dump reports it.</summary>
internal sealed record LinkEntry(int Index, string Name, string? Alias);

/// <summary>
/// rtnetlink on one socket, so in that socket's network namespace: the link, address and route changes a
/// sandbox network needs, and the dumps reconciliation reads. Throws <see cref="NetlinkException"/>.
/// </summary>
internal sealed class RouteNetlink(NetlinkSocket socket) : IDisposable
{
    public static RouteNetlink Open() => new(NetlinkSocket.Open(LibC.NETLINK_ROUTE));

    public void CreateVethPair(string name, string peerName, FileDescriptorHandle peerNamespace)
    {
        using var lease = peerNamespace.Borrow();
        socket.Execute(RouteRequests.NewVethPair(name, peerName, lease.Fd));
    }

    public void SetAlias(string name, string alias) => socket.Execute(RouteRequests.SetAlias(name, alias));

    public void SetUp(string name) => socket.Execute(RouteRequests.SetUp(name));

    /// <summary>Deletes a link (a veth takes its peer with it); false when there was none of that name.</summary>
    public bool DeleteLink(string name)
    {
        try
        {
            socket.Execute(RouteRequests.DeleteLink(name));
            return true;
        }
        catch (NetlinkException e) when (e.Errno == LibC.ENODEV)
        {
            return false;
        }
    }

    /// <summary>The interface index of <paramref name="name"/>; throws with ENODEV when there is none.</summary>
    public int IndexOf(string name) =>
        BinaryPrimitives.ReadInt32LittleEndian(socket.Query(RouteRequests.GetLink(name)).AsSpan(4));

    public void AddAddress(int index, IPAddress address, int prefixLength) =>
        socket.Execute(RouteRequests.NewIpv4Address(index, address, prefixLength));

    public void AddDefaultRoute(IPAddress gateway, int index) =>
        socket.Execute(RouteRequests.NewDefaultRoute(gateway, index));

    public IReadOnlyList<LinkEntry> Links()
    {
        var links = new List<LinkEntry>();
        foreach (var answer in socket.Dump(RouteRequests.DumpLinks()))
        {
            if (answer.Length < RouteRequests.InterfaceHeaderLength)
                continue;
            var index = BinaryPrimitives.ReadInt32LittleEndian(answer.AsSpan(4));
            string? name = null, alias = null;
            foreach (var (type, value) in NetlinkAttributes.Parse(answer.AsSpan(RouteRequests.InterfaceHeaderLength)))
            {
                if (type == RouteRequests.IFLA_IFNAME)
                    name = Text(value);
                else if (type == RouteRequests.IFLA_IFALIAS)
                    alias = Text(value);
            }
            if (name is not null)
                links.Add(new LinkEntry(index, name, string.IsNullOrEmpty(alias) ? null : alias));
        }
        return links;
    }

    /// <summary>Every IPv4 address (its local address) with the index of its link.</summary>
    public IReadOnlyList<(int Index, IPAddress Address, int PrefixLength)> Ipv4Addresses()
    {
        var addresses = new List<(int, IPAddress, int)>();
        foreach (var answer in socket.Dump(RouteRequests.DumpIpv4Addresses()))
        {
            if (answer.Length < RouteRequests.AddressHeaderLength || answer[0] != LibC.AF_INET)
                continue;
            var index = (int)BinaryPrimitives.ReadUInt32LittleEndian(answer.AsSpan(4));
            IPAddress? local = null, peer = null;
            foreach (var (type, value) in NetlinkAttributes.Parse(answer.AsSpan(RouteRequests.AddressHeaderLength)))
            {
                if (type == RouteRequests.IFA_LOCAL && value.Length == 4)
                    local = new IPAddress(value);
                else if (type == RouteRequests.IFA_ADDRESS && value.Length == 4)
                    peer = new IPAddress(value);
            }
            if ((local ?? peer) is { } address)
                addresses.Add((index, address, answer[1]));
        }
        return addresses;
    }

    public void Dispose() => socket.Dispose();

    private static string Text(byte[] value) => Encoding.UTF8.GetString(value).TrimEnd('\0');
}
