using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cleanroom.Server.Gateway.Registries;

/// <summary>
/// An npm package document (<c>GET REGISTRY/NAME</c>): its versions' <c>dist.tarball</c> URLs point at the upstream, so
/// the gateway rewrites those on the registry to its own route (the client then fetches tarballs through it), and finds
/// the integrity a tarball request must match. Pure.
/// </summary>
internal static class NpmDocument
{
    /// <summary>
    /// The document with every tarball URL under <paramref name="registry"/> moved under <paramref name="gatewayBase"/>
    /// (the gateway's URL of the same registry, ending in <c>/</c>). Tarballs elsewhere are left as they are: the gateway
    /// does not serve them, and the sandbox's egress decides.
    /// </summary>
    public static byte[] Rewrite(byte[] document, Uri registry, string gatewayBase)
    {
        var root = Parse(document);
        foreach (var (_, dist) in Dists(root))
        {
            if (dist["tarball"] is JsonValue value && value.TryGetValue<string>(out var tarball) && RelativeTo(registry, tarball) is { } relative)
                dist["tarball"] = gatewayBase + relative;
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>
    /// The digest, upstream URL and version of the version whose tarball is <paramref name="relativePath"/> (below the
    /// registry's base, e.g. <c>left-pad/-/left-pad-1.3.0.tgz</c>); null when no version names it or its dist has no usable digest.
    /// </summary>
    public static (ContentDigest Digest, Uri Upstream, string Version)? Tarball(byte[] document, Uri registry, string relativePath)
    {
        foreach (var (version, dist) in Dists(Parse(document)))
        {
            if (dist["tarball"] is JsonValue value && value.TryGetValue<string>(out var tarball)
                && RelativeTo(registry, tarball) == relativePath && ContentDigest.FromNpmDist(dist) is { } digest)
                return (digest, new Uri(registry, relativePath), version);
        }

        return null;
    }

    private static JsonObject Parse(byte[] document)
    {
        try
        {
            return JsonNode.Parse(document) as JsonObject ?? throw new InvalidDataException("the package document is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the package document is not JSON: {e.Message}", e);
        }
    }

    private static IEnumerable<(string Version, JsonObject Dist)> Dists(JsonObject root)
    {
        if (root["versions"] is not JsonObject versions)
            yield break;
        foreach (var (version, node) in versions)
        {
            if (node is JsonObject manifest && manifest["dist"] is JsonObject dist)
                yield return (version, dist);
        }
    }

    /// <summary>
    /// The tarball URL's path below the registry's base path when it is on the registry's host and port (either scheme:
    /// registries' documents often say http for an https registry); else null.
    /// </summary>
    internal static string? RelativeTo(Uri registry, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var tarball) || tarball.Scheme is not ("http" or "https")
            || !string.Equals(tarball.Host, registry.Host, StringComparison.OrdinalIgnoreCase) || tarball.Query.Length > 0)
            return null;
        if (tarball.Port != registry.Port && !(tarball.IsDefaultPort && registry.IsDefaultPort))
            return null;
        var path = tarball.AbsolutePath;
        return path.StartsWith(registry.AbsolutePath, StringComparison.Ordinal) ? path[registry.AbsolutePath.Length..] : null;
    }
}
