using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Testing.Registry;

/// <summary>
/// The token service of a registry in token auth mode, per the Docker token auth spec: GET /token?service=&amp;scope=
/// with basic credentials returns a JWT (RS256, its certificate in the x5c header) granting the scopes asked for.
/// The registry trusts the certificate through its rootcertbundle. Wrong or missing credentials get 401.
/// </summary>
public sealed class TokenService : IAsyncDisposable
{
    public const string Service = "cleanroom-test-registry";
    public const string Issuer = "cleanroom-test-token-issuer";
    private readonly RSA key = RSA.Create(2048);
    private readonly X509Certificate2 certificate;
    private readonly string username;
    private readonly string password;
    private WebApplication? app;

    private TokenService(string username, string password)
    {
        this.username = username;
        this.password = password;
        var request = new CertificateRequest("CN=cleanroom test token issuer", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    public Uri Realm { get; private set; } = null!;

    public string CertificatePem => certificate.ExportCertificatePem();

    /// <summary>The scopes asked for, in order, and whether they were granted.</summary>
    public ConcurrentQueue<(string Scope, bool Granted)> Requests { get; } = new();

    public static async Task<TokenService> StartAsync(string username, string password)
    {
        var service = new TokenService(username, password);
        var (app, port) = await LoopbackServer.StartAsync(web => web.MapGet("/token", service.Issue));
        service.app = app;
        service.Realm = new Uri($"http://127.0.0.1:{port}/token");
        return service;
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        key.Dispose();
        certificate.Dispose();
    }

    private IResult Issue(HttpContext context)
    {
        var scopes = context.Request.Query["scope"].Select(scope => scope ?? "").Where(scope => scope.Length > 0).ToList();
        var authorised = Authorised(context.Request.Headers.Authorization.ToString());
        foreach (var scope in scopes)
        {
            Requests.Enqueue((scope, authorised));
        }

        if (!authorised || context.Request.Query["service"] != Service)
        {
            return Results.Json(new { errors = new[] { new { code = "UNAUTHORIZED", message = "bad credentials" } } }, statusCode: 401);
        }

        var token = Sign(scopes);
        return Results.Json(new { token, access_token = token, expires_in = 300, issued_at = DateTimeOffset.UtcNow.ToString("O") });
    }

    private bool Authorised(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return false;
        }

        var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..]));
        return pair == $"{username}:{password}";
    }

    private string Sign(IEnumerable<string> scopes)
    {
        var access = new JsonArray();
        foreach (var scope in scopes)
        {
            // repository:name:pull,push — the name has no ':' (a registry port is not part of it).
            var first = scope.IndexOf(':');
            var last = scope.LastIndexOf(':');
            access.Add(new JsonObject
            {
                ["type"] = scope[..first],
                ["name"] = scope[(first + 1)..last],
                ["actions"] = new JsonArray(scope[(last + 1)..].Split(',').Select(action => (JsonNode)action).ToArray()),
            });
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "RS256", ["x5c"] = new JsonArray(Convert.ToBase64String(certificate.RawData)) };
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = username,
            ["aud"] = Service,
            ["exp"] = now + 300,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var signingInput = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
