using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Cleanroom.Policy.Rules;

/// <summary>
/// The shapes of a <c>secrets:</c> binding, shared by the compiler and the canonical JSON reader: an id usable as an
/// environment variable suffix, <c>host:port</c> destinations (a DNS name; port 443 when none is given), an HTTP
/// header name the gateway may set, and a format holding <c>{value}</c> once with no control characters.
/// </summary>
internal static partial class SecretRules
{
    // Framing, routing and hop-by-hop headers: a secret there would change what the request is, not who sends it.
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "TE", "Trailer", "Upgrade",
        "Proxy-Authorization", "Proxy-Authenticate", "Proxy-Connection", "Expect",
    };

    public static string? Id(string raw, out string error)
    {
        error = IdPattern().IsMatch(raw) ? "" : $"\"{raw}\" is not a secret id: lowercase letters, digits and '_', starting with a letter, at most 64 (e.g. api_token)";
        return error.Length == 0 ? raw : null;
    }

    /// <summary>The canonical <c>host:port</c>: the host normalised like an egress rule's, the port explicit.</summary>
    public static string? Destination(string raw, out string error)
    {
        var colon = raw.LastIndexOf(':');
        var hostText = colon < 0 ? raw : raw[..colon];
        var port = 443;
        if (colon >= 0 && !(raw[(colon + 1)..].All(char.IsAsciiDigit) && raw.Length > colon + 1
            && int.TryParse(raw[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535))
        {
            error = $"\"{raw}\" is not host:port with a port in 1..65535";
            return null;
        }

        var host = HostName.Normalize(hostText, out error);
        if (host is null)
            return null;
        if (IPAddress.TryParse(host, out _))
        {
            error = $"\"{raw}\" names an IP address; secrets are bound to host names (the gateway checks the upstream's TLS certificate against the name)";
            return null;
        }

        return $"{host}:{port}";
    }

    public static string? Header(string raw, out string error)
    {
        error = !TokenPattern().IsMatch(raw) ? $"\"{raw}\" is not an HTTP header name"
            : ReservedHeaders.Contains(raw) ? $"{raw} is a header that frames or routes the request; a secret cannot be sent in it"
            : "";
        return error.Length == 0 ? raw : null;
    }

    public static string? Format(string raw, out string error)
    {
        var first = raw.IndexOf(SecretBinding.ValueMarker, StringComparison.Ordinal);
        error = first < 0 || raw.IndexOf(SecretBinding.ValueMarker, first + 1, StringComparison.Ordinal) >= 0
                ? $"format must hold {SecretBinding.ValueMarker} exactly once"
            : raw.Any(char.IsControl) ? "format must not hold control characters (CR, LF, NUL, ...)"
            : raw.Length > 1024 ? "format is longer than 1024 characters"
            : raw != raw.Trim() ? "format must not start or end with whitespace"
            : "";
        return error.Length == 0 ? raw : null;
    }

    /// <summary>Whether some stage of the policy's network allows <paramref name="destination"/> (<c>host:port</c>).</summary>
    public static bool AllowedSomewhere(StageRules network, string destination)
    {
        var colon = destination.LastIndexOf(':');
        var host = destination[..colon];
        var port = int.Parse(destination[(colon + 1)..], CultureInfo.InvariantCulture);
        return StageRules.StageNames.Any(stage => network[stage].Any(rule => rule.Host == host && rule.Ports.Contains(port)));
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex IdPattern();

    // RFC 9110 token.
    [GeneratedRegex("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]{1,128}$")]
    private static partial Regex TokenPattern();
}
