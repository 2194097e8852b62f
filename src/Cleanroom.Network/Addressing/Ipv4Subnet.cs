using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Cleanroom.Network;

/// <summary>An IPv4 network (address masked to its prefix) with arithmetic on host-order integers.</summary>
public readonly record struct Ipv4Subnet(uint Network, int PrefixLength)
{
    public uint Size => PrefixLength == 0 ? uint.MaxValue : 1u << (32 - PrefixLength);

    public IPAddress NetworkAddress => ToAddress(Network);

    public bool Contains(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && (ToUInt32(address) & Mask) == Network;

    private uint Mask => PrefixLength == 0 ? 0 : uint.MaxValue << (32 - PrefixLength);

    public override string ToString() => $"{NetworkAddress}/{PrefixLength}";

    public static bool TryParse(string text, out Ipv4Subnet subnet)
    {
        subnet = default;
        var slash = text.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(text[..slash], out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(text[(slash + 1)..], out var prefix) || prefix is < 0 or > 32)
            return false;
        var candidate = new Ipv4Subnet(0, prefix);
        subnet = candidate with { Network = ToUInt32(address) & candidate.Mask };
        return true;
    }

    public static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static IPAddress ToAddress(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }
}
