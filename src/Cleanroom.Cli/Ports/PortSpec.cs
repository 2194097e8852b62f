using System.Net;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Ports;

/// <summary>
/// <c>[HOST_IP:]HOST_PORT:GUEST_PORT</c> (an IPv6 host address in brackets: <c>[::1]:8080:80</c>), as --expose and
/// port-forward take it. No address means 127.0.0.1; host port 0 lets the listener pick one.
/// </summary>
internal sealed record PortSpec(IPAddress HostAddress, ushort HostPort, ushort GuestPort)
{
    public static PortSpec Parse(string text, string flag)
    {
        var guestColon = text.LastIndexOf(':');
        if (guestColon < 0)
            throw Invalid(text, flag, "it needs HOST_PORT:GUEST_PORT");
        var guest = ParsePort(text[(guestColon + 1)..], text, flag, allowZero: false);
        var host = text[..guestColon];
        var address = IPAddress.Loopback;
        var hostColon = host.LastIndexOf(':');
        if (hostColon >= 0 && !(host.StartsWith('[') && host.EndsWith(']')))
        {
            var addressText = host[..hostColon].Trim('[', ']');
            if (!IPAddress.TryParse(addressText, out address!))
                throw Invalid(text, flag, $"'{addressText}' is not an IP address");
            host = host[(hostColon + 1)..];
        }
        return new PortSpec(address, ParsePort(host, text, flag, allowZero: true), guest);
    }

    private static ushort ParsePort(string value, string text, string flag, bool allowZero) =>
        ushort.TryParse(value, out var port) && (allowZero || port > 0)
            ? port
            : throw Invalid(text, flag, $"'{value}' is not a port ({(allowZero ? "0" : "1")}-65535)");

    private static CleanroomException Invalid(string text, string flag, string why) =>
        new(ErrorCode.InvalidArgument, $"{flag} '{text}': {why}; the form is [HOST_IP:]HOST_PORT:GUEST_PORT, e.g. 15432:5432");

    /// <summary>How an address and port read in a URL or a message: 127.0.0.1:8080, [::1]:8080.</summary>
    public static string Format(IPAddress address, int port) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
}
