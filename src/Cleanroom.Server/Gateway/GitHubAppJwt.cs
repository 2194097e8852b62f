using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// The JWT a GitHub App authenticates as itself with: RS256 over <c>iss</c> (the App's id), <c>iat</c> a minute in the
/// past (GitHub's advice against clock drift) and <c>exp</c> nine minutes ahead (GitHub refuses more than ten).
/// Built and signed by Microsoft.IdentityModel, not by hand.
/// </summary>
public static class GitHubAppJwt
{
    public static readonly TimeSpan Backdate = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(9);

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public static string Create(string appId, RSA key, DateTimeOffset now) =>
        Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = appId,
            IssuedAt = (now - Backdate).UtcDateTime,
            Expires = (now + Lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key), SecurityAlgorithms.RsaSha256),
        });
}
