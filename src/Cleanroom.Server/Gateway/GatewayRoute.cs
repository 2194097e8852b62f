namespace Cleanroom.Server.Gateway;

/// <summary>What a gateway request asks for, once its target has been checked and canonicalised.</summary>
internal abstract record GatewayRoute
{
    /// <summary>The service an audit event names: <c>meta</c>, <c>git</c> or <c>secrets</c>.</summary>
    public abstract string Service { get; }
}

/// <summary><c>/meta/</c>: the calling sandbox's id and policy hash.</summary>
internal sealed record MetaRoute : GatewayRoute
{
    public static MetaRoute Instance { get; } = new();

    public override string Service => "meta";
}

/// <summary>
/// <c>/git/HOST[:PORT]/REPO/SERVICE-PATH</c>: one git smart-HTTP request for <paramref name="Host"/> on
/// <paramref name="Port"/> (443 when the segment names none). <paramref name="UpstreamPathAndQuery"/> is the
/// request's own path below the host segment, every segment as the client sent it (already checked to be safe),
/// with its query.
/// </summary>
internal sealed record GitRoute(string Host, int Port, string UpstreamPathAndQuery, bool Push) : GatewayRoute
{
    public override string Service => "git";

    /// <summary>HTTPS for 443, plain HTTP for any other allowed port (the issue's interface; tests use plain HTTP).</summary>
    public Uri UpstreamUri => new($"{(Port == 443 ? "https" : "http")}://{Host}:{Port}{UpstreamPathAndQuery}");
}

/// <summary>
/// <c>/secrets/HOST[:PORT]/PATH</c>: one HTTP request for <paramref name="Host"/> on <paramref name="Port"/> (443 when
/// the segment names none), into which the gateway puts the caller's secrets bound to that destination.
/// <paramref name="UpstreamPathAndQuery"/> is the request's own path below the host segment (at least <c>/</c>), every
/// segment as the client sent it (already checked to be safe), with its query.
/// </summary>
internal sealed record SecretsRoute(string Host, int Port, string UpstreamPathAndQuery) : GatewayRoute
{
    public override string Service => "secrets";

    /// <summary>HTTPS for 443, plain HTTP for any other allowed port, as for git.</summary>
    public Uri UpstreamUri => new($"{(Port == 443 ? "https" : "http")}://{Host}:{Port}{UpstreamPathAndQuery}");
}

/// <summary>Why a request is refused: the HTTP status, the stable code (Cleanroom.Errors) and what went wrong.</summary>
internal sealed record GatewayRefusal(int Status, string Code, string Message, string Service = "gateway");
