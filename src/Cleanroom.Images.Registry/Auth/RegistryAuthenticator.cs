using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cleanroom.Errors;
using Cleanroom.Images.Registry.Distribution;

namespace Cleanroom.Images.Registry.Auth;

/// <summary>
/// Answers a registry's 401: for <c>Bearer realm=…,service=…,scope=…</c>, fetches a token from the realm (sending
/// basic credentials when there are any, anonymously otherwise) as the Docker token auth spec describes; for
/// <c>Basic</c>, sends the credentials. The answer is cached per registry and repository until the token expires,
/// so a pull's blob requests do not each go through the challenge again.
/// </summary>
internal sealed class RegistryAuthenticator(HttpClient http, CredentialSource credentials, RegistryOptions options, TimeProvider clock)
{
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExpirySlack = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, (AuthenticationHeaderValue Header, DateTimeOffset Expires)> cache = new();

    public AuthenticationHeaderValue? Cached(RepositoryLocation where) =>
        cache.TryGetValue(Key(where), out var entry) && entry.Expires > clock.GetUtcNow() ? entry.Header : null;

    public void Forget(RepositoryLocation where) => cache.TryRemove(Key(where), out _);

    /// <summary>The Authorization header that answers <paramref name="unauthorized"/>'s challenge.</summary>
    public async Task<AuthenticationHeaderValue> AnswerAsync(
        RepositoryLocation where, HttpResponseMessage unauthorized, string what, CancellationToken cancellationToken)
    {
        var challenges = unauthorized.Headers.TryGetValues("WWW-Authenticate", out var values)
            ? values.Select(AuthChallenge.Parse).OfType<AuthChallenge>().ToList()
            : [];
        var credential = credentials.Find(where.Registry);
        if (challenges.FirstOrDefault(challenge => challenge.IsBearer) is { } bearer)
        {
            var (token, lifetime) = await FetchTokenAsync(where, bearer, credential, cancellationToken).ConfigureAwait(false);
            return Remember(where, new AuthenticationHeaderValue("Bearer", token), lifetime);
        }

        if (challenges.Any(challenge => challenge.IsBasic))
        {
            return credential is null
                ? throw new CleanroomException(ErrorCode.RegistryAuthFailed,
                    $"registry {where.Registry} needs credentials for {what}; add them to images.credentials or log in with docker login")
                : Remember(where, Basic(credential), TimeSpan.FromHours(1));
        }

        throw new CleanroomException(ErrorCode.RegistryAuthFailed,
            $"registry {where.Registry} refused {what} (401) with no Bearer or Basic challenge to answer");
    }

    private async Task<(string Token, TimeSpan Lifetime)> FetchTokenAsync(
        RepositoryLocation where, AuthChallenge challenge, RegistryCredential? credential, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(challenge["realm"], UriKind.Absolute, out var realm) || realm.Scheme is not ("https" or "http"))
        {
            throw new CleanroomException(ErrorCode.RegistryAuthFailed,
                $"registry {where.Registry} names a token realm \"{challenge["realm"]}\" that is not an http(s) URL");
        }

        // Credentials never travel in clear text to a realm the user did not mark as plain HTTP.
        if (realm.Scheme == "http" && !options.IsInsecure(realm.Authority) && where.BaseUri.Scheme != "http")
        {
            throw new CleanroomException(ErrorCode.RegistryAuthFailed,
                $"registry {where.Registry} names a plain-HTTP token realm {realm}; list {realm.Authority} in images.insecure_registries to allow it");
        }

        var query = new List<string>();
        if (challenge["service"] is { } service)
        {
            query.Add("service=" + Uri.EscapeDataString(service));
        }

        query.Add("scope=" + Uri.EscapeDataString(challenge["scope"] ?? where.PullScope));
        var separator = string.IsNullOrEmpty(realm.Query) ? "?" : "&";
        using var request = new HttpRequestMessage(HttpMethod.Get, realm + separator + string.Join('&', query));
        if (credential is not null)
        {
            request.Headers.Authorization = Basic(credential);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or Polly.Timeout.TimeoutRejectedException
                                  || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw RegistryFailure.Unreachable(where, e);
        }

        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new CleanroomException(ErrorCode.RegistryAuthFailed, credential is null
                    ? $"the token service of registry {where.Registry} ({realm.Authority}) refused anonymous access ({(int)response.StatusCode}); add credentials to images.credentials or log in with docker login"
                    : $"the token service of registry {where.Registry} ({realm.Authority}) refused the credentials of user {credential.Username} ({(int)response.StatusCode})");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new CleanroomException(ErrorCode.RegistryUnreachable,
                    $"the token service of registry {where.Registry} ({realm.Authority}) answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return ParseToken(body, where);
        }
    }

    // {"token": "...", "access_token": "...", "expires_in": 300}: either token field; lifetime defaults to 60 s.
    private static (string Token, TimeSpan Lifetime) ParseToken(byte[] body, RepositoryLocation where)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var token = (root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null)
                ?? (root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null);
            if (string.IsNullOrEmpty(token))
            {
                throw new CleanroomException(ErrorCode.RegistryAuthFailed, $"the token service of registry {where.Registry} returned no token");
            }

            var lifetime = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds)
                : DefaultTokenLifetime;
            return (token, lifetime);
        }
        catch (JsonException e)
        {
            throw new CleanroomException(ErrorCode.RegistryAuthFailed, $"the token service of registry {where.Registry} returned malformed JSON: {e.Message}", e);
        }
    }

    private AuthenticationHeaderValue Remember(RepositoryLocation where, AuthenticationHeaderValue header, TimeSpan lifetime)
    {
        var usable = lifetime > ExpirySlack * 2 ? lifetime - ExpirySlack : lifetime;
        cache[Key(where)] = (header, clock.GetUtcNow() + usable);
        return header;
    }

    private static AuthenticationHeaderValue Basic(RegistryCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));

    private static string Key(RepositoryLocation where) => where.Registry + " " + where.PullScope;
}
