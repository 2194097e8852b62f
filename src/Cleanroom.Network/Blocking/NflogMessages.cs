using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Cleanroom.Network;

/// <summary>
/// The nfnetlink_log wire format (linux/netfilter/nfnetlink_log.h): the config requests that bind a
/// socket to a log group, and the parser for the packets the kernel then sends. Netlink headers are in
/// host byte order, nfnetlink attribute values in network byte order.
/// </summary>
internal static class NflogMessages
{
    private const ushort SubsystemUlog = 4;
    private const ushort MessagePacket = SubsystemUlog << 8;
    private const ushort MessageConfig = (SubsystemUlog << 8) | 1;
    public const ushort NetlinkError = 2;
    private const ushort FlagRequest = 1;
    private const ushort FlagAck = 4;
    private const ushort AttributeTypeMask = 0x3fff;

    private const ushort ConfigCommand = 1;
    private const ushort ConfigMode = 2;
    private const ushort ConfigQueueThreshold = 5;
    private const byte CommandBind = 1;
    private const byte CopyPacket = 2;

    private const ushort AttrInputInterface = 4;
    private const ushort AttrPayload = 9;
    private const ushort AttrPrefix = 10;

    private const int HeaderLength = 16;
    private const int GenericHeaderLength = 4;

    /// <summary>Binds the socket to <paramref name="group"/>.</summary>
    public static byte[] Bind(ushort group, uint sequence) =>
        Config(group, sequence, Attribute(ConfigCommand, [CommandBind]));

    /// <summary>
    /// Asks for the first <paramref name="copyRange"/> bytes of each packet (the IPv4 header and the
    /// ports are all we read) and for each packet to be sent at once rather than batched.
    /// </summary>
    public static byte[] Mode(ushort group, uint sequence, uint copyRange)
    {
        var mode = new byte[6];
        BinaryPrimitives.WriteUInt32BigEndian(mode, copyRange);
        mode[4] = CopyPacket;
        var threshold = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(threshold, 1);
        return Config(group, sequence, [.. Attribute(ConfigMode, mode), .. Attribute(ConfigQueueThreshold, threshold)]);
    }

    /// <summary>The errno of an acknowledgement (0 is success), or null when the message is no acknowledgement.</summary>
    public static int? AckError(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength + 4 || BinaryPrimitives.ReadUInt16LittleEndian(message[4..]) != NetlinkError)
            return null;
        return -BinaryPrimitives.ReadInt32LittleEndian(message[HeaderLength..]);
    }

    /// <summary>Splits one datagram into its netlink messages.</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Messages(ReadOnlyMemory<byte> datagram)
    {
        var offset = 0;
        while (offset + HeaderLength <= datagram.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(datagram.Span[offset..]);
            if (length < HeaderLength || offset + length > datagram.Length)
                yield break;
            yield return datagram.Slice(offset, length);
            offset += Align(length);
        }
    }

    /// <summary>The dropped packet a log message describes; null for other messages and non-IPv4 payloads.</summary>
    public static DroppedPacket? ParsePacket(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength + GenericHeaderLength || BinaryPrimitives.ReadUInt16LittleEndian(message[4..]) != MessagePacket)
            return null;
        var prefix = "";
        var inputInterface = 0;
        ReadOnlySpan<byte> payload = default;
        var attributes = message[(HeaderLength + GenericHeaderLength)..];
        while (attributes.Length >= 4)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]) & AttributeTypeMask);
            if (length < 4 || length > attributes.Length)
                break;
            var value = attributes[4..length];
            switch (type)
            {
                case AttrPrefix:
                    var end = value.IndexOf((byte)0);
                    prefix = Encoding.ASCII.GetString(end >= 0 ? value[..end] : value);
                    break;
                case AttrInputInterface when value.Length >= 4:
                    inputInterface = (int)BinaryPrimitives.ReadUInt32BigEndian(value);
                    break;
                case AttrPayload:
                    payload = value;
                    break;
            }
            attributes = attributes[Math.Min(Align(length), attributes.Length)..];
        }
        return ParseIpv4(prefix, inputInterface, payload);
    }

    private static DroppedPacket? ParseIpv4(string prefix, int inputInterface, ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 20 || packet[0] >> 4 != 4)
            return null;
        var headerLength = (packet[0] & 0x0f) * 4;
        var protocol = packet[9];
        var destination = new IPAddress(packet[16..20]);
        int sourcePort = 0, destinationPort = 0;
        if (protocol is 6 or 17 && packet.Length >= headerLength + 4)
        {
            sourcePort = BinaryPrimitives.ReadUInt16BigEndian(packet[headerLength..]);
            destinationPort = BinaryPrimitives.ReadUInt16BigEndian(packet[(headerLength + 2)..]);
        }
        return new DroppedPacket(prefix, inputInterface, destination, destinationPort, sourcePort, protocol);
    }

    private static byte[] Config(ushort group, uint sequence, byte[] attributes)
    {
        var message = new byte[HeaderLength + GenericHeaderLength + attributes.Length];
        var span = message.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], MessageConfig);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], FlagRequest | FlagAck);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], sequence);
        // nfgenmsg: family AF_UNSPEC, version 0, res_id = the group, big-endian.
        BinaryPrimitives.WriteUInt16BigEndian(span[(HeaderLength + 2)..], group);
        attributes.CopyTo(span[(HeaderLength + GenericHeaderLength)..]);
        return message;
    }

    private static byte[] Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        var attribute = new byte[Align(4 + value.Length)];
        BinaryPrimitives.WriteUInt16LittleEndian(attribute, (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(attribute.AsSpan(2), type);
        value.CopyTo(attribute.AsSpan(4));
        return attribute;
    }

    private static int Align(int length) => (length + 3) & ~3;
}
