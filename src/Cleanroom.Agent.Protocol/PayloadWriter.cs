using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Cleanroom.Agent.Protocol;

/// <summary>
/// Builds a structured payload: big-endian integers, strings as u32 length + UTF-8,
/// lists as u32 count + items. Hand-written on purpose: the agent is NativeAOT and must not
/// depend on reflection-based serializers.
/// </summary>
public sealed class PayloadWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(64);

    public PayloadWriter U8(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
        return this;
    }

    public PayloadWriter U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
        return this;
    }

    public PayloadWriter U32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public PayloadWriter I32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public PayloadWriter U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public PayloadWriter String(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        U32((uint)length);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(length);
        return this;
    }

    public PayloadWriter StringList(IReadOnlyList<string> values)
    {
        U32((uint)values.Count);
        foreach (var value in values)
            String(value);
        return this;
    }

    public byte[] ToArray()
    {
        if (_buffer.WrittenCount > ProtocolConstants.MaxPayloadSize)
            throw new ArgumentException($"payload of {_buffer.WrittenCount} bytes exceeds the maximum frame size {ProtocolConstants.MaxPayloadSize}");
        return _buffer.WrittenSpan.ToArray();
    }
}
