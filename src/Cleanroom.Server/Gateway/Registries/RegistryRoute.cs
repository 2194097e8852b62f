namespace Cleanroom.Server.Gateway.Registries;

/// <summary>
/// <c>/npm/HOST[:PORT]/PATH</c>, <c>/pypi/HOST[:PORT]/PATH</c> or <c>/go/HOST[:PORT]/PATH</c> (a Go module proxy): one read of a package registry at
/// <paramref name="Host"/>:<paramref name="Port"/> (443 when the segment names none). <paramref name="Path"/> is the
/// request's path below the host segment (at least <c>/</c>, every segment already checked to be safe), without a query:
/// registries' package reads take none, so a query is refused rather than cached under the wrong key.
/// </summary>
internal sealed record RegistryRoute(string Kind, string Host, int Port, string Path) : GatewayRoute
{
    public const string Npm = "npm";
    public const string PyPi = "pypi";
    public const string Go = "go";

    public override string Service => Kind;

    /// <summary>The route's segment of a host: <c>HOST</c> for 443, else <c>HOST:PORT</c>.</summary>
    public static string Authority(string host, int port) => port == 443 ? host : $"{host}:{port}";
}

/// <summary>
/// <c>/download/ALGO/HEX/SCHEME/HOST[:PORT]/PATH</c>: the file at <c>SCHEME://HOST[:PORT]/PATH</c> (port 443 or 80 by the
/// scheme when none is named), which must hash to <paramref name="Digest"/> (sha256 or sha512). No query: the file is
/// named by its path alone, and <paramref name="Path"/> is every segment as the client sent it (already checked to be safe).
/// </summary>
internal sealed record DownloadRoute(ContentDigest Digest, string Scheme, string Host, int Port, string Path) : GatewayRoute
{
    public const string Kind = "download";

    public override string Service => Kind;

    public Uri Upstream => new($"{Scheme}://{Host}:{Port}{Path}");
}
