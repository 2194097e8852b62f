using System.Buffers.Binary;
using System.Text;

namespace Cleanroom.Agent.Protocol;

/// <summary>
/// Reads a structured payload written by <see cref="PayloadWriter"/>. Every read checks the
/// remaining length, so a truncated or lying payload becomes a <see cref="ProtocolException"/>,
/// never an out-of-range read or a huge allocation. Bytes after the last known field are ignored,
/// which lets a later minor version append fields.
/// </summary>
public ref struct PayloadReader
{
    private readonly string _what;
    private ReadOnlySpan<byte> _rest;

    public PayloadReader(ReadOnlySpan<byte> payload, string what)
    {
        _rest = payload;
        _what = what;
    }

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public int I32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public string String()
    {
        var length = U32();
        if (length > (uint)_rest.Length)
            throw Truncated($"a string of {length} bytes");
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Take((int)length));
        }
        catch (DecoderFallbackException)
        {
            throw new ProtocolException($"{_what}: a string is not valid UTF-8");
        }
    }

    public string[] StringList()
    {
        var count = U32();
        // Each string takes at least its 4-byte length, so a count beyond that cannot be honest.
        if (count > (uint)_rest.Length / 4)
            throw Truncated($"a list of {count} strings");
        var values = new string[count];
        for (var i = 0; i < values.Length; i++)
            values[i] = String();
        return values;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_rest.Length < count)
            throw Truncated($"{count} more bytes");
        var taken = _rest[..count];
        _rest = _rest[count..];
        return taken;
    }

    private readonly ProtocolException Truncated(string expected) =>
        new($"{_what}: payload is truncated, expected {expected}");
}
