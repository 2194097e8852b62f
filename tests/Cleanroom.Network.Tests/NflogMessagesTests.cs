using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Cleanroom.Network.Tests;

public sealed class NflogMessagesTests
{
    [Fact]
    public void PacketMessageYieldsPrefixInterfaceDestinationPortAndProtocol()
    {
        var message = PacketMessage("crt1:0a1b2c3d ", inputInterface: 17, Ipv4Tcp(IPAddress.Parse("198.18.4.2"), 40000, 8443));

        var packet = NflogMessages.ParsePacket(message);

        Assert.Equal(new DroppedPacket("crt1:0a1b2c3d ", 17, IPAddress.Parse("198.18.4.2"), 8443, 40000, 6), packet);
        Assert.Equal("tcp", packet!.ProtocolName);
    }

    [Fact]
    public void NonIpv4PayloadAndOtherMessagesAreIgnored()
    {
        var ipv6 = new byte[40];
        ipv6[0] = 0x60;
        Assert.Null(NflogMessages.ParsePacket(PacketMessage("x", 1, ipv6)));
        Assert.Null(NflogMessages.ParsePacket(new byte[8]));
    }

    [Fact]
    public void MessagesSplitsADatagramAtAlignedBoundaries()
    {
        var first = PacketMessage("a", 1, Ipv4Tcp(IPAddress.Loopback, 1, 2));
        var second = PacketMessage("bb", 2, Ipv4Tcp(IPAddress.Loopback, 3, 4));
        var datagram = first.Concat(second).ToArray();

        var prefixes = NflogMessages.Messages(datagram).Select(m => NflogMessages.ParsePacket(m.Span)!.Prefix);

        Assert.Equal(["a", "bb"], prefixes);
    }

    [Fact]
    public void BindRequestCarriesTheGroupBigEndian()
    {
        var request = NflogMessages.Bind(0x1234, 7);
        Assert.Equal(request.Length, BinaryPrimitives.ReadInt32LittleEndian(request));
        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(18)));
    }

    private static byte[] Ipv4Tcp(IPAddress destination, int sourcePort, int destinationPort)
    {
        var packet = new byte[40];
        packet[0] = 0x45;
        packet[9] = 6;
        destination.GetAddressBytes().CopyTo(packet, 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), (ushort)sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), (ushort)destinationPort);
        return packet;
    }

    /// <summary>A packet message as nfnetlink_log sends it (netlink header, nfgenmsg, attributes).</summary>
    private static byte[] PacketMessage(string prefix, int inputInterface, byte[] payload)
    {
        var attributes = new List<byte>();
        void Attribute(ushort type, byte[] value)
        {
            var header = new byte[4];
            BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)(4 + value.Length));
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), type);
            attributes.AddRange(header);
            attributes.AddRange(value);
            while (attributes.Count % 4 != 0)
                attributes.Add(0);
        }
        var index = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(index, (uint)inputInterface);
        Attribute(4, index);
        Attribute(10, [.. Encoding.ASCII.GetBytes(prefix), 0]);
        Attribute(9, payload);
        var message = new byte[16 + 4 + attributes.Count];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), 0x400);
        message[16] = 2;
        attributes.ToArray().CopyTo(message, 20);
        return message;
    }
}
