using System.Buffers.Binary;
using System.Text;

namespace Cleanroom.Network.Netlink;

/// <summary>
/// One netlink request being written: the 16-byte <c>nlmsghdr</c>, the family's fixed header, then
/// attributes (<c>rtattr</c>: length, type, value, padded to 4 bytes), nested ones by
/// <see cref="BeginNested"/>/<see cref="EndNested"/>. Netlink is host byte order (little-endian here)
/// except where a value is an address. Pure: <see cref="NetlinkSocket"/> sends it.
/// </summary>
internal sealed class NetlinkRequest
{
    public const int HeaderLength = 16;

    private byte[] _buffer = new byte[256];
    private int _length = HeaderLength;

    public NetlinkRequest(ushort type, ushort flags, string description)
    {
        Type = type;
        Flags = flags;
        Description = description;
    }

    public ushort Type { get; }

    public ushort Flags { get; }

    /// <summary>What the request does, for error messages ("RTM_NEWLINK veth crt1a2b3c4d").</summary>
    public string Description { get; }

    /// <summary>Appends raw bytes (a fixed header such as ifinfomsg), padded to 4 bytes.</summary>
    public NetlinkRequest Bytes(ReadOnlySpan<byte> value)
    {
        Ensure(Align(value.Length));
        value.CopyTo(_buffer.AsSpan(_length));
        _length += Align(value.Length);
        return this;
    }

    public NetlinkRequest Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        Ensure(4 + Align(value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length), (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length + 2), type);
        value.CopyTo(_buffer.AsSpan(_length + 4));
        _length += 4 + Align(value.Length);
        return this;
    }

    /// <summary>A NUL-terminated string attribute, as the kernel expects for names and aliases.</summary>
    public NetlinkRequest String(ushort type, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value + "\0");
        return Attribute(type, bytes);
    }

    public NetlinkRequest UInt32(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return Attribute(type, bytes);
    }

    /// <summary>Opens a nested attribute; its length is written by <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        var start = _length;
        Attribute(type, []);
        return start;
    }

    public void EndNested(int start) =>
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(start), (ushort)(_length - start));

    /// <summary>The finished message with its length and <paramref name="sequence"/> filled in.</summary>
    public byte[] ToArray(uint sequence)
    {
        var message = _buffer.AsSpan(0, _length).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)_length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), Type);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), sequence);
        return message;
    }

    public static int Align(int length) => (length + 3) & ~3;

    private void Ensure(int more)
    {
        if (_length + more > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
    }
}
