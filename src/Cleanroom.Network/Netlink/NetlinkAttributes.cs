using System.Buffers.Binary;

namespace Cleanroom.Network.Netlink;

/// <summary>Reads a run of netlink attributes (<c>rtattr</c>/<c>nlattr</c>: u16 length, u16 type, value, padding).</summary>
internal static class NetlinkAttributes
{
    // Nested and byte-order flags ride in the type's top bits.
    private const ushort TypeMask = 0x3fff;

    public static List<(ushort Type, byte[] Value)> Parse(ReadOnlySpan<byte> attributes)
    {
        var found = new List<(ushort, byte[])>();
        var offset = 0;
        while (offset + 4 <= attributes.Length)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(attributes[offset..]);
            if (length < 4 || offset + length > attributes.Length)
                break;
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(attributes[(offset + 2)..]) & TypeMask);
            found.Add((type, attributes.Slice(offset + 4, length - 4).ToArray()));
            offset += NetlinkRequest.Align(length);
        }
        return found;
    }
}
