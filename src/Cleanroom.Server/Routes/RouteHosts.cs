using Cleanroom.Errors;

namespace Cleanroom.Server.Routes;

/// <summary>
/// Host names an HTTPS route may answer for: DNS names under <see cref="Domain"/>, where a leading <c>*</c> label
/// stands for exactly one label. Browsers and curl resolve every <c>*.localhost</c> name to loopback by themselves, so
/// routes need no DNS setup; keeping routes under one domain is also what lets the CA be name-constrained to it.
/// </summary>
internal static class RouteHosts
{
    public const string Domain = "cleanroom.localhost";

    /// <summary>The host of a route named <paramref name="name"/> (a DNS label): NAME.cleanroom.localhost.</summary>
    public static string ForName(string name, string field)
    {
        var label = name.ToLowerInvariant();
        if (!IsLabel(label))
            throw new CleanroomException(ErrorCode.InvalidArgument, $"{field}: '{name}' is not a route name (letters, digits and '-', at most 63, not starting or ending with '-')");
        return $"{label}.{Domain}";
    }

    /// <summary>Checks a host pattern (lowercased): labels, an optional leading "*", under <see cref="Domain"/>.</summary>
    public static string Pattern(string host, string field)
    {
        var pattern = host.Trim().TrimEnd('.').ToLowerInvariant();
        var labels = pattern.Split('.');
        var valid = pattern.EndsWith("." + Domain, StringComparison.Ordinal)
            && labels.Select((label, i) => i == 0 && label == "*" || IsLabel(label)).All(ok => ok)
            && pattern.Length <= 253;
        return valid
            ? pattern
            : throw new CleanroomException(ErrorCode.InvalidArgument, $"{field}: '{host}' is not a host under {Domain} (a leading '*' may stand for one label)");
    }

    /// <summary>Whether <paramref name="host"/> (lowercased, no port) is one the pattern answers for.</summary>
    public static bool Matches(string pattern, string host)
    {
        if (!pattern.StartsWith("*.", StringComparison.Ordinal))
            return pattern == host;
        var dot = host.IndexOf('.');
        return dot > 0 && host[(dot + 1)..] == pattern[2..];
    }

    private static bool IsLabel(string label) =>
        label.Length is >= 1 and <= 63 && label[0] != '-' && label[^1] != '-'
        && label.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-');
}
