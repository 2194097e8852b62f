using System.Globalization;
using System.Text.RegularExpressions;
using Cleanroom.Errors;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// Decides what a gateway request is, from the request line and headers exactly as received, before anything is
/// forwarded. Strict on purpose: the gateway is never a general proxy, so anything that is not an origin-form path
/// that canonicalises to itself inside one route is refused with a stable code. Pure: no I/O.
/// <list type="bullet">
/// <item>CONNECT (and methods a route does not serve) → <c>gateway_method_refused</c>;</item>
/// <item>absolute-form (<c>http://x/..</c>), authority-form and <c>*</c> targets → <c>gateway_target_refused</c>;</item>
/// <item>a Host header other than the gateway's address on the caller's link → <c>gateway_host_mismatch</c>;</item>
/// <item>CR, LF or NUL in any header → <c>gateway_header_invalid</c>;</item>
/// <item>dot segments (also percent-encoded, <c>%2e%2e</c>), encoded <c>/</c> or <c>\</c>, empty segments (<c>//</c>),
/// control characters or malformed escapes in the path → <c>gateway_path_unsafe</c>.</item>
/// </list>
/// </summary>
internal static partial class GatewayRequestTarget
{
    public static GatewayRoute Parse(string method, string rawTarget, string? hostHeader, string expectedHost, IHeaderDictionary headers) =>
        Parse(method, rawTarget, hostHeader, expectedHost, headers.SelectMany(h => h.Value.Select(v => (h.Key, v ?? ""))));

    /// <returns>The route, or a <see cref="RefusedRoute"/> carrying the refusal.</returns>
    public static GatewayRoute Parse(string method, string rawTarget, string? hostHeader, string expectedHost, IEnumerable<(string Name, string Value)> headers)
    {
        if (HttpMethods.IsConnect(method))
            return Refuse(405, ErrorCode.GatewayMethodRefused, "CONNECT is refused: the gateway is not a proxy");
        if (!rawTarget.StartsWith('/'))
            return Refuse(400, ErrorCode.GatewayTargetRefused, "only origin-form request targets (a path starting with '/') are served: the gateway is not a proxy");
        foreach (var (name, value) in headers)
        {
            if (HasLineBreakOrNul(name) || HasLineBreakOrNul(value))
                return Refuse(400, ErrorCode.GatewayHeaderInvalid, $"header '{Printable(name)}' holds CR, LF or NUL");
        }

        if (!string.Equals(hostHeader, expectedHost, StringComparison.OrdinalIgnoreCase))
            return Refuse(421, ErrorCode.GatewayHostMismatch, $"the Host header must be the gateway's address {expectedHost}");

        var query = rawTarget.IndexOf('?');
        var path = query < 0 ? rawTarget : rawTarget[..query];
        var queryText = query < 0 ? "" : rawTarget[query..];
        if (queryText.Any(c => char.IsControl(c) || c == ' ' || c == '#'))
            return Refuse(400, ErrorCode.GatewayPathUnsafe, "the query holds control characters, spaces or a fragment");

        var segments = path[1..].Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            // A trailing slash leaves one empty last segment; an empty one anywhere else is "//".
            if (segments[i].Length == 0 && i != segments.Length - 1)
                return Refuse(400, ErrorCode.GatewayPathUnsafe, "empty path segments ('//') are refused");
            // npm sends a scoped package's name as one segment, "@scope%2fname"; exactly that shape (no dots, no other
            // escapes) decodes to a name, never to a path step, so it is the one encoded '/' let through.
            if (segments[0] == Registries.RegistryRoute.Npm && i >= 2 && ScopedNpmName().IsMatch(segments[i]))
                continue;
            if (UnsafeSegment(segments[i]) is { } why)
                return Refuse(400, ErrorCode.GatewayPathUnsafe, why);
        }

        return segments[0] switch
        {
            "meta" => MetaOnly(method, segments),
            "git" => Git(method, segments, queryText),
            "secrets" => Secrets(method, segments, queryText),
            Registries.RegistryRoute.Npm or Registries.RegistryRoute.PyPi or Registries.RegistryRoute.Go => Registry(segments[0], method, segments, queryText),
            Registries.DownloadRoute.Kind => Download(method, segments, queryText),
            _ => Refuse(404, ErrorCode.GatewayRouteUnknown,
                "no such route; the gateway serves /meta/, /git/HOST/REPO, /secrets/HOST/PATH, /npm/HOST/PATH, /pypi/HOST/PATH, /go/HOST/PATH and /download/sha256/HEX/SCHEME/HOST/PATH"),
        };
    }

    /// <summary>Null when the segment is safe to pass on as it is; else why not.</summary>
    private static string? UnsafeSegment(string segment)
    {
        string decoded;
        try
        {
            if (segment.Contains('%') && !WellFormedEscapes().IsMatch(segment))
                return "malformed percent-escape in the path";
            decoded = Uri.UnescapeDataString(segment);
        }
        catch (UriFormatException)
        {
            return "malformed percent-escape in the path";
        }

        if (decoded is "." or "..")
            return "dot segments ('.', '..', also percent-encoded) are refused";
        if (decoded.Contains('/') || decoded.Contains('\\') || segment.Contains('\\'))
            return "encoded '/' or '\\' in a path segment is refused";
        if (decoded.Any(char.IsControl))
            return "control characters in the path are refused";
        return null;
    }

    private static GatewayRoute MetaOnly(string method, string[] segments)
    {
        if (segments.Length > 2 || (segments.Length == 2 && segments[1].Length > 0))
            return Refuse(404, ErrorCode.GatewayRouteUnknown, "/meta/ has no sub-paths", "meta");
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
            return Refuse(405, ErrorCode.GatewayMethodRefused, "/meta/ answers GET only", "meta");
        return MetaRoute.Instance;
    }

    private static GatewayRoute Git(string method, string[] segments, string query)
    {
        if (segments.Length < 4)
            return Refuse(404, ErrorCode.GatewayRouteUnknown, "git routes are /git/HOST[:PORT]/REPO/...", "git");
        if (ParseHost(segments[1]) is not var (host, port))
            return Refuse(400, ErrorCode.GatewayPathUnsafe, $"'{Printable(segments[1])}' is not a lowercase host name with an optional :port", "git");

        var rest = "/" + string.Join('/', segments[2..]);
        // Only git's smart-HTTP endpoints: with a host credential added upstream, any other path would turn the
        // route into a general HTTP client of that host under the host's identity.
        bool push;
        if (rest.EndsWith("/info/refs", StringComparison.Ordinal) && (HttpMethods.IsGet(method) || HttpMethods.IsHead(method)))
        {
            if (query is not ("?service=git-upload-pack" or "?service=git-receive-pack"))
                return Refuse(404, ErrorCode.GatewayRouteUnknown, "info/refs is served for ?service=git-upload-pack or git-receive-pack only (smart HTTP)", "git");
            push = query.EndsWith("receive-pack", StringComparison.Ordinal);
        }
        else if (rest.EndsWith("/git-upload-pack", StringComparison.Ordinal) || rest.EndsWith("/git-receive-pack", StringComparison.Ordinal))
        {
            if (!HttpMethods.IsPost(method))
                return Refuse(405, ErrorCode.GatewayMethodRefused, "git-upload-pack and git-receive-pack take POST", "git");
            if (query.Length > 0)
                return Refuse(404, ErrorCode.GatewayRouteUnknown, "git service requests take no query", "git");
            push = rest.EndsWith("/git-receive-pack", StringComparison.Ordinal);
        }
        else
        {
            return Refuse(404, ErrorCode.GatewayRouteUnknown, "only git smart-HTTP requests (info/refs, git-upload-pack, git-receive-pack) are served", "git");
        }

        if (rest.Count(c => c == '/') < 3)
            return Refuse(404, ErrorCode.GatewayRouteUnknown, "git routes need a repository path before the service", "git");
        return new GitRoute(host, port, rest + query, push);
    }

    private static GatewayRoute Secrets(string method, string[] segments, string query)
    {
        if (segments.Length < 2 || segments[1].Length == 0)
            return Refuse(404, ErrorCode.GatewayRouteUnknown, "secrets routes are /secrets/HOST[:PORT]/PATH", "secrets");
        // TRACE (and TRACK) echo the request, headers included, back to the sender: with a secret put in upstream,
        // that would hand the value to the sandbox.
        if (!SecretsMethods.Contains(method))
            return Refuse(405, ErrorCode.GatewayMethodRefused, $"secrets routes take {string.Join(", ", SecretsMethods)}", "secrets");
        if (ParseHost(segments[1]) is not var (host, port))
            return Refuse(400, ErrorCode.GatewayPathUnsafe, $"'{Printable(segments[1])}' is not a lowercase host name with an optional :port", "secrets");
        return new SecretsRoute(host, port, "/" + string.Join('/', segments[2..]) + query);
    }

    /// <summary>Registry routes are reads of packages: GET and HEAD, no query (none of npm's or PEP 503's package reads takes one).</summary>
    private static GatewayRoute Registry(string kind, string method, string[] segments, string query)
    {
        if (segments.Length < 3)
            return Refuse(404, ErrorCode.GatewayRouteUnknown, $"{kind} routes are /{kind}/HOST[:PORT]/PATH", kind);
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
            return Refuse(405, ErrorCode.GatewayMethodRefused, $"{kind} routes serve package reads only (GET, HEAD)", kind);
        if (query.Length > 0)
            return Refuse(404, ErrorCode.GatewayRouteUnknown, $"{kind} routes take no query", kind);
        // Decoded first: pip percent-encodes the ':' of the links it follows (the segment was checked above).
        if (ParseHost(Uri.UnescapeDataString(segments[1])) is not var (host, port))
            return Refuse(400, ErrorCode.GatewayPathUnsafe, $"'{Printable(segments[1])}' is not a lowercase host name with an optional :port", kind);
        return new Registries.RegistryRoute(kind, host, port, "/" + string.Join('/', segments[2..]));
    }

    /// <summary><c>/download/ALGO/HEX/SCHEME/HOST[:PORT]/PATH</c>: GET or HEAD, no query, a sha256 or sha512 in lower-case hex.</summary>
    private static GatewayRoute Download(string method, string[] segments, string query)
    {
        const string Shape = "download routes are /download/sha256/HEX/SCHEME/HOST[:PORT]/PATH (or sha512), SCHEME http or https";
        if (segments.Length < 6 || segments[^1].Length == 0)
            return Refuse(404, ErrorCode.GatewayRouteUnknown, Shape, "download");
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
            return Refuse(405, ErrorCode.GatewayMethodRefused, "download routes serve reads only (GET, HEAD)", "download");
        if (query.Length > 0)
            return Refuse(404, ErrorCode.GatewayRouteUnknown, "download routes take no query: a file is named by its path", "download");
        if (segments[1] is not ("sha256" or "sha512") || Registries.ContentDigest.FromHex(segments[1], segments[2]) is not { } digest
            || segments[3] is not ("http" or "https"))
            return Refuse(404, ErrorCode.GatewayRouteUnknown, Shape, "download");
        var defaultPort = segments[3] == "https" ? 443 : 80;
        var authority = Uri.UnescapeDataString(segments[4]);
        if (ParseHost(authority.Contains(':') ? authority : $"{authority}:{defaultPort}") is not var (host, port))
            return Refuse(400, ErrorCode.GatewayPathUnsafe, $"'{Printable(segments[4])}' is not a lowercase host name with an optional :port", "download");
        return new Registries.DownloadRoute(digest, segments[3], host, port, "/" + string.Join('/', segments[5..]));
    }

    private static readonly string[] SecretsMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    private static (string Host, int Port)? ParseHost(string segment)
    {
        var colon = segment.IndexOf(':');
        var host = colon < 0 ? segment : segment[..colon];
        var port = 443;
        if (colon >= 0 && !(int.TryParse(segment[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535))
            return null;
        return HostName().IsMatch(host) ? (host, port) : null;
    }

    private static RefusedRoute Refuse(int status, string code, string message, string service = "gateway") =>
        new(new GatewayRefusal(status, code, message, service));

    private static bool HasLineBreakOrNul(string text) => text.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0;

    private static string Printable(string text) => new(text.Select(c => char.IsControl(c) ? '?' : c).Take(64).ToArray());

    [GeneratedRegex("^(?:[^%]|%[0-9A-Fa-f]{2})*$")]
    private static partial Regex WellFormedEscapes();

    [GeneratedRegex("^@[a-z0-9][a-z0-9_~-]*(?:\\.[a-z0-9_~-]+)*%2[fF][a-zA-Z0-9][a-zA-Z0-9._~-]*$")]
    private static partial Regex ScopedNpmName();

    // Lowercase DNS names only: the policy compiler writes names that way, and a name is compared, never rewritten.
    [GeneratedRegex("^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")]
    private static partial Regex HostName();
}

/// <summary>A request <see cref="GatewayRequestTarget"/> refused.</summary>
internal sealed record RefusedRoute(GatewayRefusal Refusal) : GatewayRoute
{
    public override string Service => Refusal.Service;
}
