using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Cleanroom.Server.Gateway.Registries;

/// <summary>
/// A PEP 503 project page (<c>GET INDEX/PROJECT/</c>, HTML): each file link that carries a <c>#sha256=</c> fragment is
/// rewritten to the gateway's file route, <c>GATEWAY/pypi/INDEXHOST[:PORT]/-files/sha256-HEX/FILEHOST[:PORT]/PATH</c>,
/// so the client fetches it through the gateway, which verifies it against that digest. Links without a sha256 are left
/// as they are (the gateway cannot verify them; the sandbox's egress decides). PEP 658 metadata attributes are dropped:
/// the gateway serves the files only, and the client then reads metadata from the file itself. Pure.
/// </summary>
internal static partial class PypiIndexPage
{
    // Only unreserved characters: pip percent-encodes anything else in the links it follows.
    public const string FilesSegment = "-files";

    public static byte[] Rewrite(byte[] page, Uri pageUrl, string gatewayIndexRoot)
    {
        var html = Encoding.UTF8.GetString(page);
        var rewritten = Anchor().Replace(html, anchor =>
        {
            var tag = MetadataAttribute().Replace(anchor.Value, "");
            return Href().Replace(tag, href =>
            {
                var url = WebUtility.HtmlDecode(href.Groups["url"].Value);
                return FileRoute(pageUrl, url, gatewayIndexRoot) is { } route
                    ? $"href=\"{WebUtility.HtmlEncode(route)}\""
                    : href.Value;
            }, 1);
        });
        return Encoding.UTF8.GetBytes(rewritten);
    }

    /// <summary>The gateway URL of one link, or null when it has no usable sha256 or is not http(s).</summary>
    internal static string? FileRoute(Uri pageUrl, string link, string gatewayIndexRoot)
    {
        if (!Uri.TryCreate(pageUrl, link, out var file) || file.Scheme is not ("http" or "https") || file.Query.Length > 0 || file.UserInfo.Length > 0)
            return null;
        var fragment = file.Fragment.TrimStart('#');
        if (!fragment.StartsWith("sha256=", StringComparison.Ordinal) || ContentDigest.FromHex("sha256", fragment["sha256=".Length..].ToLowerInvariant()) is not { } digest)
            return null;
        // The gateway's convention, as for git: port 443 means https upstream, any other port plain http.
        if ((file.Scheme == "https") != (file.Port == 443))
            return null;
        var authority = file.Port == 443 ? file.Host : $"{file.Host}:{file.Port}";
        return $"{gatewayIndexRoot}{FilesSegment}/{digest.EntryName}/{authority}{file.AbsolutePath}#sha256={Convert.ToHexStringLower(digest.Value)}";
    }

    [GeneratedRegex("<a\\s[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Anchor();

    [GeneratedRegex("href\\s*=\\s*\"(?<url>[^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex Href();

    [GeneratedRegex("\\s+data-(?:dist-info|core)-metadata(?:\\s*=\\s*\"[^\"]*\")?", RegexOptions.IgnoreCase)]
    private static partial Regex MetadataAttribute();
}
