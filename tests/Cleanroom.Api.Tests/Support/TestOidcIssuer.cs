using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Cleanroom.Api.Tests.Support;

/// <summary>
/// A real OIDC issuer on 127.0.0.1 (ephemeral port): its discovery document and JWKS over HTTP, and RS256 tokens signed
/// with RSA keys generated here. It counts JWKS fetches, so tests can see when the server refetches keys.
/// </summary>
public sealed class TestOidcIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<RsaSecurityKey> _published = [];
    private int _jwksFetches;

    private TestOidcIssuer(WebApplication app, string issuer)
    {
        _app = app;
        Issuer = issuer;
    }

    /// <summary>The issuer URL (<c>http://127.0.0.1:PORT</c>), its <c>iss</c>.</summary>
    public string Issuer { get; }

    public RsaSecurityKey SigningKey { get; private set; } = null!;

    public int JwksFetches => Volatile.Read(ref _jwksFetches);

    public static async Task<TestOidcIssuer> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        TestOidcIssuer? issuer = null;
        app.UseRouting();
        app.MapGet("/.well-known/openid-configuration", (HttpContext http) => http.Response.WriteAsync(
            $$"""{"issuer":"{{issuer!.Issuer}}","jwks_uri":"{{issuer.Issuer}}/jwks","id_token_signing_alg_values_supported":["RS256"]}"""));
        app.MapGet("/jwks", (HttpContext http) =>
        {
            Interlocked.Increment(ref issuer!._jwksFetches);
            http.Response.ContentType = "application/json";
            return http.Response.WriteAsync(issuer.Jwks());
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        issuer = new TestOidcIssuer(app, address.TrimEnd('/'));
        issuer.SigningKey = issuer.NewKey(publish: true);
        return issuer;
    }

    /// <summary>A fresh RSA key; published keys appear in the JWKS from the next fetch on.</summary>
    public RsaSecurityKey NewKey(bool publish)
    {
        var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = Guid.NewGuid().ToString("N") };
        if (publish) lock (_published) _published.Add(key);
        return key;
    }

    /// <summary>A signed JWT; each argument overrides the valid default.</summary>
    public string Token(string subject = "ci-job-1", string? audience = "cleanroom", string? issuer = null,
        DateTime? expires = null, RsaSecurityKey? key = null, string repository = "org/repo")
    {
        var now = DateTime.UtcNow;
        var expiry = expires ?? now.AddMinutes(10);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("repository", repository)]),
            IssuedAt = expiry < now ? expiry.AddMinutes(-10) : now,
            NotBefore = expiry < now ? expiry.AddMinutes(-10) : now.AddSeconds(-5),
            Expires = expiry,
            SigningCredentials = new SigningCredentials(key ?? SigningKey, SecurityAlgorithms.RsaSha256),
        });
    }

    private string Jwks()
    {
        lock (_published)
        {
            var keys = _published.Select(k =>
            {
                var p = k.Rsa.ExportParameters(false);
                return $$"""{"kty":"RSA","use":"sig","alg":"RS256","kid":"{{k.KeyId}}","n":"{{Base64UrlEncoder.Encode(p.Modulus)}}","e":"{{Base64UrlEncoder.Encode(p.Exponent)}}"}""";
            });
            return $$"""{"keys":[{{string.Join(",", keys)}}]}""";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
