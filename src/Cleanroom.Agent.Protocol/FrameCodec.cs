using System.Buffers.Binary;

namespace Cleanroom.Agent.Protocol;

/// <summary>
/// The 9-byte frame header: type, channel (u32 BE), payload length (u32 BE).
/// Pure functions so the reader, the writer and the tests share one definition of the layout.
/// </summary>
public static class FrameCodec
{
    public static void WriteHeader(Span<byte> destination, FrameType type, uint channel, int payloadLength)
    {
        if (payloadLength is < 0 or > ProtocolConstants.MaxPayloadSize)
            throw new ArgumentOutOfRangeException(nameof(payloadLength), payloadLength, "payload exceeds the maximum frame size");
        destination[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], channel);
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)payloadLength);
    }

    /// <summary>Validates a header; throws <see cref="ProtocolException"/> for a length the reader must not allocate.</summary>
    public static (FrameType Type, uint Channel, int PayloadLength) ReadHeader(ReadOnlySpan<byte> header, int maxPayloadSize)
    {
        var type = (FrameType)header[0];
        var channel = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[5..]);
        if (length > (uint)maxPayloadSize)
            throw new ProtocolException($"frame {type} on channel {channel} declares {length} bytes, more than the maximum {maxPayloadSize}");
        return (type, channel, (int)length);
    }

    /// <summary>Header and payload in one array, so a frame is one write on the transport.</summary>
    public static byte[] Encode(FrameType type, uint channel, ReadOnlySpan<byte> payload)
    {
        var buffer = new byte[ProtocolConstants.HeaderSize + payload.Length];
        WriteHeader(buffer, type, channel, payload.Length);
        payload.CopyTo(buffer.AsSpan(ProtocolConstants.HeaderSize));
        return buffer;
    }
}
