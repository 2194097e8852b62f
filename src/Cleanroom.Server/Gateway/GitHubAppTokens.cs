using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Cleanroom.Errors;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// Installation tokens of the runtime config's GitHub App, minted on the host
/// (<c>POST {api_url}/app/installations/{id}/access_tokens</c> with the App's JWT) and cached until
/// <see cref="RefreshBefore"/> before they expire. Requests arriving together share one mint; a failed mint is not
/// cached (the next request tries again) and fails every request waiting for it with <c>github_app_token_failed</c>.
/// Neither the token nor the JWT is logged or put in a message; a failure names the API's status and its own message.
/// </summary>
public sealed class GitHubAppTokens(GitHubAppSettings settings, RSA key, HttpMessageInvoker http, TimeProvider clock)
{
    public static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MintTimeout = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private Task<MintedToken>? _current;

    public GitHubAppSettings Settings => settings;

    /// <summary>A token valid for at least a few more minutes, minting one when the cached one is (nearly) expired.</summary>
    public async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        Task<MintedToken> mint;
        lock (_gate)
        {
            if (_current is { IsCompletedSuccessfully: true } done && done.Result.ExpiresAt - RefreshBefore > clock.GetUtcNow())
                return done.Result.Value;
            if (_current is null || _current.IsCompleted)
                _current = MintAsync();
            mint = _current;
        }

        // A mint is not the caller's: one client going away must not fail the others waiting for the same mint.
        return (await mint.WaitAsync(cancellationToken)).Value;
    }

    private async Task<MintedToken> MintAsync()
    {
        await Task.Yield();
        using var timeout = new CancellationTokenSource(MintTimeout);
        // A root URL prints with its slash (https://api.github.com/); a GitHub Enterprise one (.../api/v3) without.
        var endpoint = new Uri($"{settings.ApiUrl.ToString().TrimEnd('/')}/app/installations/{settings.InstallationId}/access_tokens");
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        string jwt;
        try
        {
            jwt = GitHubAppJwt.Create(settings.AppId, key, clock.GetUtcNow());
        }
        catch (Exception e) when (e is CryptographicException or InvalidOperationException or ArgumentException)
        {
            throw Failed($"the App's JWT cannot be signed ({e.GetType().Name})");
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
        request.Headers.Accept.ParseAdd("application/vnd.github+json");
        request.Headers.UserAgent.ParseAdd("cleanroom-gateway");
        request.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
        HttpResponseMessage response;
        byte[] body;
        try
        {
            response = await http.SendAsync(request, timeout.Token);
            body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            throw Failed(e is OperationCanceledException ? $"{settings.ApiUrl} did not answer within {MintTimeout.TotalSeconds:0} s" : $"{settings.ApiUrl} cannot be reached: {e.Message}");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw Failed($"{endpoint.GetLeftPart(UriPartial.Authority)} answered {(int)response.StatusCode}{ApiMessage(body)}");
            return Parse(body) ?? throw Failed($"{endpoint.GetLeftPart(UriPartial.Authority)} answered without a token and its expiry");
        }
    }

    /// <summary><c>token</c> and <c>expires_at</c> of the API's answer; null when either is missing or malformed.</summary>
    internal static MintedToken? Parse(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("token", out var token) || token.ValueKind != JsonValueKind.String || token.GetString() is not { Length: > 0 } value
                || value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
                || !root.TryGetProperty("expires_at", out var expires) || expires.ValueKind != JsonValueKind.String
                || !DateTimeOffset.TryParse(expires.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiresAt))
                return null;
            return new MintedToken(value, expiresAt);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>GitHub's own <c>message</c> of an error answer (it never holds a credential), shortened and on one line.</summary>
    private static string ApiMessage(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var message)
                && message.ValueKind == JsonValueKind.String && message.GetString() is { Length: > 0 } text)
            {
                var clean = new string(text.Take(200).Select(c => char.IsControl(c) ? ' ' : c).ToArray());
                return $": {clean}";
            }
        }
        catch (JsonException)
        {
        }

        return "";
    }

    private CredentialUnavailableException Failed(string why) =>
        new(ErrorCode.GitHubAppTokenFailed, $"no installation token for GitHub App {settings.AppId} (installation {settings.InstallationId}): {why}");

    internal sealed record MintedToken(string Value, DateTimeOffset ExpiresAt)
    {
        public override string ToString() => $"installation token expiring {ExpiresAt:O}";
    }
}
