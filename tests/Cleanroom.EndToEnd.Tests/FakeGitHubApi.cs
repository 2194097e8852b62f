using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// GitHub's installation-token endpoint as the test's own host (HttpListener on the host end of the test's upstream
/// link, UpstreamNamespace.HostAddress): <c>POST /app/installations/{id}/access_tokens</c> answers <see cref="Token"/> only to a JWT
/// signed by the App's real RSA key (<see cref="PrivateKeyPem"/>; verified with the public key here) whose
/// <c>iss</c> is the App's id and whose <c>iat</c>/<c>exp</c> GitHub would accept. Counts the tokens it mints;
/// <see cref="Refuse"/> makes it answer 401 like GitHub does for a bad App.
/// </summary>
public sealed class FakeGitHubApi : IAsyncDisposable
{
    public const string AppId = "4242";
    public const string InstallationId = "777";
    private const int Port = 8091;

    private readonly RSA _key = RSA.Create(2048);
    private readonly HttpListener _listener = new();
    private readonly Task _serving;
    private int _mints;
    private readonly List<string> _rejections = [];

    private FakeGitHubApi(string token)
    {
        Token = token;
        _listener.Prefixes.Add($"http://{UpstreamNamespace.HostAddress}:{Port}/");
        _listener.Start();
        _serving = ServeAsync();
    }

    public string ApiUrl => $"http://{UpstreamNamespace.HostAddress}:{Port}";

    public string Token { get; }

    public string PrivateKeyPem => _key.ExportRSAPrivateKeyPem();

    public int Mints => Volatile.Read(ref _mints);

    /// <summary>Why requests were refused (bad JWT, wrong path): a test asserts it is empty when all should pass.</summary>
    public IReadOnlyList<string> Rejections
    {
        get
        {
            lock (_rejections)
                return [.. _rejections];
        }
    }

    public bool Refuse { get; set; }

    /// <summary>Needs the upstream link (<see cref="UpstreamNamespace"/>) to exist: it listens on its host address.</summary>
    public static FakeGitHubApi Start(string token) => new(token);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var response = context.Response;
            var problem = Check(context.Request);
            string body;
            if (problem is not null || Refuse)
            {
                if (problem is not null)
                {
                    lock (_rejections)
                        _rejections.Add(problem);
                }

                response.StatusCode = 401;
                body = JsonSerializer.Serialize(new Dictionary<string, string> { ["message"] = problem ?? "A JSON web token could not be decoded" });
            }
            else
            {
                Interlocked.Increment(ref _mints);
                response.StatusCode = 201;
                var expires = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
                body = JsonSerializer.Serialize(new Dictionary<string, string> { ["token"] = Token, ["expires_at"] = expires });
            }

            var bytes = Encoding.UTF8.GetBytes(body);
            response.ContentType = "application/json";
            await response.OutputStream.WriteAsync(bytes);
        }
    }

    private string? Check(HttpListenerRequest request)
    {
        if (request.HttpMethod != "POST" || request.Url?.AbsolutePath != $"/app/installations/{InstallationId}/access_tokens")
            return $"unexpected {request.HttpMethod} {request.Url?.AbsolutePath}";
        var authorization = request.Headers["Authorization"] ?? "";
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal))
            return "no bearer JWT";
        var parts = authorization["Bearer ".Length..].Split('.');
        if (parts.Length != 3)
            return "not a JWT";
        if (!_key.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            return "bad signature";
        using var header = JsonDocument.Parse(Base64Url(parts[0]));
        using var payload = JsonDocument.Parse(Base64Url(parts[1]));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (header.RootElement.GetProperty("alg").GetString() != "RS256")
            return "not RS256";
        if (payload.RootElement.GetProperty("iss").GetString() != AppId)
            return "wrong iss";
        var iat = payload.RootElement.GetProperty("iat").GetInt64();
        var exp = payload.RootElement.GetProperty("exp").GetInt64();
        return iat > now || exp <= now || exp - iat > 600 ? $"times out of range (iat {iat - now}, exp {exp - now})" : null;
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
        _key.Dispose();
    }
}
