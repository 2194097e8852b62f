using System.Collections.Immutable;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>auth:</c> section: whether every API call needs an identity (<c>required</c>), static bearer tokens from
/// files, accepted OIDC issuers, the principals with the admin role, and the claims policy.
/// </summary>
public sealed record AuthSettings(bool Required, ImmutableArray<AuthToken> Tokens, ImmutableArray<AuthIssuer> OidcIssuers, ImmutableArray<string> Admins)
{
    public static AuthSettings Defaults { get; } = new(false, [], [], []);

    /// <summary>The claims policy, first match decides; empty: every caller may use any backend, image and allow-all.</summary>
    public ImmutableArray<AuthPolicyRule> Policy { get; init; } = [];
}

/// <summary>A static bearer token: the file that holds it (never the token itself) and the principal it stands for.</summary>
public sealed record AuthToken(string File, string Principal);

/// <summary>An accepted OIDC issuer (its <c>iss</c>, an https URL) and the audience its tokens must name.</summary>
public sealed record AuthIssuer(string Issuer, string Audience);
