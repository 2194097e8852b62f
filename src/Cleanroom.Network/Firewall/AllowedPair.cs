using System.Net;

namespace Cleanroom.Network;

/// <summary>One element of a sandbox's allow set: destination IPv4 address and port (TCP or UDP).</summary>
internal readonly record struct AllowedPair(IPAddress Address, int Port)
{
    public override string ToString() => $"{Address} . {Port}";
}
