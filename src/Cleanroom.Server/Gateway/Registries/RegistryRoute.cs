namespace Cleanroom.Server.Gateway.Registries;

/// <summary>
/// <c>/npm/HOST[:PORT]/PATH</c> or <c>/pypi/HOST[:PORT]/PATH</c>: one read of a package registry at
/// <paramref name="Host"/>:<paramref name="Port"/> (443 when the segment names none). <paramref name="Path"/> is the
/// request's path below the host segment (at least <c>/</c>, every segment already checked to be safe), without a query:
/// registries' package reads take none, so a query is refused rather than cached under the wrong key.
/// </summary>
internal sealed record RegistryRoute(string Kind, string Host, int Port, string Path) : GatewayRoute
{
    public const string Npm = "npm";
    public const string PyPi = "pypi";

    public override string Service => Kind;

    /// <summary>The route's segment of a host: <c>HOST</c> for 443, else <c>HOST:PORT</c>.</summary>
    public static string Authority(string host, int port) => port == 443 ? host : $"{host}:{port}";
}
