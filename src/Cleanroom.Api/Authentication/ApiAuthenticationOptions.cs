namespace Cleanroom.Api.Authentication;

/// <summary>
/// Who may call the API and how callers prove it (the runtime config's <c>auth:</c> section). Without
/// <see cref="Required"/>, calls without credentials are served as anonymous; a credential that is presented is
/// still checked, and a bad one is refused.
/// </summary>
public sealed record ApiAuthenticationOptions
{
    /// <summary>Every call must carry a valid identity; otherwise it fails with <c>unauthenticated</c>.</summary>
    public bool Required { get; init; }

    /// <summary>Static bearer tokens, each read from a file at start and standing for a configured principal.</summary>
    public IReadOnlyList<StaticTokenSource> Tokens { get; init; } = [];

    /// <summary>OIDC issuers whose JWTs are accepted, each for one audience.</summary>
    public IReadOnlyList<OidcIssuer> OidcIssuers { get; init; } = [];

    /// <summary>Principals with the admin role.</summary>
    public IReadOnlyList<string> Admins { get; init; } = [];

    /// <summary>The claims policy, first match decides; empty: every caller may use every backend, image and allow-all.</summary>
    public IReadOnlyList<AccessRule> Policy { get; init; } = [];
}

/// <summary>A static token: the file holding it (read once at start) and the principal it stands for.</summary>
public sealed record StaticTokenSource(string File, string Principal);

/// <summary>
/// An OIDC issuer: its <c>iss</c> (discovery document at <c>ISSUER/.well-known/openid-configuration</c>, signing keys
/// from its JWKS) and the <c>aud</c> its tokens must name.
/// </summary>
public sealed record OidcIssuer(string Issuer, string Audience);
