namespace Cleanroom.Api.Authentication;

/// <summary>How a caller's identity was established.</summary>
public enum CallerMethod
{
    Anonymous,
    /// <summary>A static bearer token from the runtime config.</summary>
    Token,
    /// <summary>An OIDC JWT bearer token, validated against its issuer's keys.</summary>
    Oidc,
    /// <summary>A TLS client certificate that chains to the configured client CA.</summary>
    Certificate,
    /// <summary>The peer uid of a unix socket connection (SO_PEERCRED).</summary>
    Unix,
}

/// <summary>
/// Who is calling, as the server resolved it once per request. Service implementations read it with
/// <see cref="CallerContext.Caller"/> (from <c>ServerCallContext.GetHttpContext()</c>).
/// </summary>
/// <param name="Principal">The name owners and admin lists use; empty for an anonymous caller.</param>
public sealed record Caller(string Principal, CallerMethod Method, bool Admin)
{
    public static Caller Anonymous { get; } = new("", CallerMethod.Anonymous, false);

    /// <summary>What the claims policy (<c>auth.policy</c>) lets this caller do.</summary>
    public CallerGrants Grants { get; init; } = CallerGrants.Unrestricted;

    public bool IsAuthenticated => Method != CallerMethod.Anonymous;

    /// <summary>The lower-case name of <see cref="Method"/> as the API and CLI show it.</summary>
    public string MethodName => Method.ToString().ToLowerInvariant();
}
