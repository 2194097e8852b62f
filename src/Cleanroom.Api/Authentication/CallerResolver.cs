using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Cleanroom.Api.Transport;

namespace Cleanroom.Api.Authentication;

/// <summary>
/// Decides who is calling from what the request carries, in this order: a bearer token (a static token, else an OIDC
/// JWT of a configured issuer), a TLS client certificate (already verified at the handshake), the unix socket peer's
/// uid; else anonymous. A credential that is presented and fails is a refusal, never a fall-through to the next one.
/// </summary>
internal sealed class CallerResolver
{
    private const string BearerPrefix = "Bearer ";
    private readonly StaticTokens _tokens;
    private readonly HashSet<string> _admins;
    private readonly AccessPolicy _policy;
    private readonly Dictionary<string, string> _schemeByIssuer = new(StringComparer.Ordinal);
    private readonly ILogger<CallerResolver> _logger;

    public CallerResolver(ApiAuthenticationOptions options, StaticTokens tokens, ILogger<CallerResolver> logger)
    {
        _tokens = tokens;
        _logger = logger;
        _admins = options.Admins.ToHashSet(StringComparer.Ordinal);
        _policy = new AccessPolicy(options.Policy);
        for (var i = 0; i < options.OidcIssuers.Count; i++)
            _schemeByIssuer.TryAdd(options.OidcIssuers[i].Issuer, OidcSchemes.SchemeOf(i));
    }

    /// <summary>The caller, or the reason the request's credential is refused (never containing the credential).</summary>
    public async Task<(Caller? Caller, string? Refusal)> ResolveAsync(HttpContext http)
    {
        var authorization = http.Request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            if (!authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
                return (null, "the Authorization header must be 'Bearer TOKEN'");
            if (!http.Request.IsHttps && http.Connection.LocalIpAddress is { } local && !IPAddress.IsLoopback(local))
                return (null, "bearer tokens are refused over plain HTTP off loopback; use https");
            var token = authorization[BearerPrefix.Length..].Trim();
            if (_tokens.PrincipalOf(token) is { } principal) return (With(principal, CallerMethod.Token, principal), null);
            return await OidcAsync(http, token).ConfigureAwait(false);
        }
        if (http.Connection.ClientCertificate is { } certificate)
            return (With(certificate.Subject, CallerMethod.Certificate, certificate.Subject), null);
        if (http.Features.Get<PeerCredentials>() is { } peer)
            return (With($"uid:{peer.Uid}", CallerMethod.Unix, $"uid:{peer.Uid}"), null);
        return (Caller.Anonymous with { Grants = _policy.Decide(new Dictionary<string, IReadOnlyList<string>>(), admin: false) }, null);
    }

    private async Task<(Caller?, string?)> OidcAsync(HttpContext http, string token)
    {
        string? issuer;
        try
        {
            issuer = new JsonWebToken(token).Issuer;
        }
        catch (ArgumentException)
        {
            return (null, "the bearer token is neither one of this server's tokens nor a JWT");
        }
        if (issuer is null || !_schemeByIssuer.TryGetValue(issuer, out var scheme))
            return (null, "the bearer token's issuer is not one this server accepts");

        // The scheme's JwtBearer handler reads the same Authorization header and does the validation.
        var result = await http.AuthenticateAsync(scheme).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            _logger.LogInformation("Refused an OIDC token from {Issuer}: {Failure}", issuer, result.Failure?.GetType().Name ?? "no result");
            return (null, $"the bearer token from {issuer} is not valid: {Why(result.Failure)}");
        }
        var subject = result.Principal?.FindFirst("sub")?.Value;
        if (string.IsNullOrEmpty(subject)) return (null, $"the bearer token from {issuer} has no 'sub' claim");
        // Qualified by issuer: two issuers may both have a subject "alice". Every claim of the token is matchable.
        return (With($"{issuer}#{subject}", CallerMethod.Oidc, subject, result.Principal!.Claims), null);
    }

    private static string Why(Exception? failure) => failure switch
    {
        SecurityTokenExpiredException => "it has expired",
        SecurityTokenNotYetValidException => "it is not valid yet",
        SecurityTokenInvalidAudienceException => "it is not for this server's audience",
        SecurityTokenInvalidIssuerException => "its issuer does not match",
        SecurityTokenSignatureKeyNotFoundException => "it is signed with a key its issuer does not publish",
        SecurityTokenInvalidSignatureException => "its signature does not verify",
        SecurityTokenNoExpirationException => "it has no expiry",
        null => "no result",
        _ when failure.Message.Contains("IDX20803", StringComparison.Ordinal) => "the issuer's keys could not be fetched",
        _ => "it failed validation",
    };

    /// <summary>
    /// The caller with its grants. Besides a token's own claims, every caller has <c>sub</c> (the token's subject, the
    /// certificate's subject, the principal of a static token, <c>uid:N</c>), <c>principal</c> and <c>method</c>.
    /// </summary>
    private Caller With(string principal, CallerMethod method, string subject, IEnumerable<System.Security.Claims.Claim>? tokenClaims = null)
    {
        var admin = _admins.Contains(principal);
        // Claims are gathered per request only when there are rules to match them against.
        if (!_policy.HasRules) return new Caller(principal, method, admin);
        var claims = (tokenClaims ?? []).GroupBy(c => c.Type, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(c => c.Value).ToList(), StringComparer.Ordinal);
        claims["sub"] = [subject];
        claims["principal"] = [principal];
        claims["method"] = [method.ToString().ToLowerInvariant()];
        return new Caller(principal, method, admin) { Grants = _policy.Decide(claims, admin) };
    }
}
