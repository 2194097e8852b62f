using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Cleanroom.Policy.Rules;

/// <summary>
/// Normalises an egress host to the one spelling the enforcement layer compares against: lowercase, no
/// trailing dot, IDN as punycode, IP literals in canonical form. Everything that is not exactly one host
/// (wildcards, ranges, URLs, user info, ports, zone ids) is rejected with its own message, because each
/// is a different misunderstanding the user should be told about.
/// </summary>
internal static class HostName
{
    private const int MaxNameLength = 253;
    private const int MaxLabelLength = 63;

    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    /// <summary>
    /// Returns the normalised host, or null with <paramref name="error"/> set. IPv6 may be written bare or in
    /// brackets; either way it comes out bare and compressed.
    /// </summary>
    public static string? Normalize(string raw, out string error)
    {
        error = RejectNonHostShape(raw) ?? "";
        if (error.Length > 0)
        {
            return null;
        }

        if (raw.StartsWith('['))
        {
            var close = raw.IndexOf(']');
            if (close < 0)
            {
                error = $"\"{raw}\" has an opening bracket but no closing one";
                return null;
            }

            if (close != raw.Length - 1)
            {
                error = $"host \"{raw}\" includes a port; give the host alone and list ports under ports";
                return null;
            }

            return NormalizeIPv6(raw[1..close], out error);
        }

        if (raw.Contains(':'))
        {
            var colon = raw.LastIndexOf(':');
            if (raw.IndexOf(':') == colon && raw[(colon + 1)..].All(char.IsAsciiDigit))
            {
                error = $"host \"{raw}\" includes a port; give the host alone and list ports under ports";
                return null;
            }

            return NormalizeIPv6(raw, out error);
        }

        var lower = raw.ToLowerInvariant();
        if (lower.EndsWith('.'))
        {
            // "example.com." is the fully qualified spelling of "example.com": the same host.
            lower = lower[..^1];
        }

        if (lower.Length == 0)
        {
            error = $"\"{raw}\" is not a host name";
            return null;
        }

        if (lower.All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            return NormalizeIPv4(lower, out error);
        }

        return NormalizeDnsName(lower, raw, out error);
    }

    /// <summary>
    /// The shapes that are not a single host at all. Shared with the <c>host:port</c> shorthand parser so
    /// that <c>https://example.com:443</c> is reported as a URL, not as a strange port.
    /// </summary>
    public static string? RejectNonHostShape(string raw)
    {
        if (raw.Length == 0)
        {
            return "host must not be empty";
        }

        if (raw.Any(char.IsWhiteSpace))
        {
            return $"host \"{raw}\" contains whitespace";
        }

        if (raw.Contains("://", StringComparison.Ordinal))
        {
            return $"\"{raw}\" is a URL; give only the host name (no scheme such as https://)";
        }

        if (raw.Contains('@'))
        {
            return $"\"{raw}\" contains user info (\"user@\"); give only the host name";
        }

        if (raw.Contains('*'))
        {
            return $"wildcard hosts such as \"{raw}\" are not supported; list each exact host name";
        }

        var slash = raw.IndexOf('/');
        if (slash >= 0)
        {
            return LooksLikeCidr(raw, slash)
                ? $"CIDR ranges such as \"{raw}\" are not supported; list exact IP addresses or host names"
                : $"\"{raw}\" contains a path (\"/...\"); give only the host name";
        }

        if (raw.Contains('%'))
        {
            return raw.Contains(':')
                ? $"IPv6 zone ids (\"%...\" in \"{raw}\") are not supported; give the address alone"
                : $"\"{raw}\" contains '%', which is not allowed in a host name";
        }

        return null;
    }

    private static bool LooksLikeCidr(string raw, int slash)
    {
        var address = raw[..slash].Trim('[', ']');
        var prefix = raw[(slash + 1)..];
        var colon = prefix.IndexOf(':');
        if (colon >= 0 && !address.Contains(':'))
        {
            prefix = prefix[..colon]; // "10.0.0.0/8:443"
        }

        return prefix.Length is > 0 and <= 3 && prefix.All(char.IsAsciiDigit)
            && (address.Contains(':') || address.All(c => char.IsAsciiDigit(c) || c == '.'));
    }

    private static string? NormalizeIPv4(string text, out string error)
    {
        var parts = text.Split('.');
        var valid = parts.Length == 4 && parts.All(p =>
            p.Length is >= 1 and <= 3 && (p.Length == 1 || p[0] != '0') && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
        error = valid ? "" : $"\"{text}\" is not a valid IPv4 address (four decimal numbers 0-255, no leading zeros)";
        return valid ? text : null;
    }

    private static string? NormalizeIPv6(string text, out string error)
    {
        error = "";
        if (text.Length > 0 && text.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.')
            && IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // .NET prints RFC 5952 form: lowercase, longest zero run compressed.
            return address.ToString();
        }

        error = $"\"{text}\" is not a valid IPv6 address";
        return null;
    }

    private static string? NormalizeDnsName(string lower, string raw, out string error)
    {
        error = "";
        var ascii = lower;
        if (lower.Any(c => c > 0x7f))
        {
            try
            {
                ascii = Idn.GetAscii(lower);
            }
            catch (ArgumentException)
            {
                error = $"\"{raw}\" is not a valid internationalised domain name";
                return null;
            }
        }

        if (ascii.Length > MaxNameLength)
        {
            error = $"\"{raw}\" is not a valid DNS name: longer than {MaxNameLength} characters";
            return null;
        }

        foreach (var label in ascii.Split('.'))
        {
            var problem = LabelProblem(label);
            if (problem is not null)
            {
                error = $"\"{raw}\" is not a valid DNS name: {problem}";
                return null;
            }
        }

        return ascii;
    }

    private static string? LabelProblem(string label)
    {
        if (label.Length == 0)
        {
            return "it has an empty label (\"..\" or a leading dot)";
        }

        if (label.Length > MaxLabelLength)
        {
            return $"label \"{label[..20]}...\" is longer than {MaxLabelLength} characters";
        }

        if (!label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            return $"label \"{label}\" may hold only letters, digits and hyphens";
        }

        if (label.StartsWith('-') || label.EndsWith('-'))
        {
            return $"label \"{label}\" must not start or end with a hyphen";
        }

        if (label.StartsWith("xn--", StringComparison.Ordinal) && !IsValidPunycode(label))
        {
            return $"label \"{label}\" is not valid punycode";
        }

        return null;
    }

    // A malformed xn-- label would never match a real name; it is almost certainly a copy-paste accident.
    private static bool IsValidPunycode(string label)
    {
        try
        {
            return Idn.GetAscii(Idn.GetUnicode(label)) == label;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
