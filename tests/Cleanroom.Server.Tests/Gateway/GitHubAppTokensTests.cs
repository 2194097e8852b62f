using System.Collections.Immutable;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Gateway;
using Microsoft.Extensions.Time.Testing;

namespace Cleanroom.Server.Tests.Gateway;

public sealed class GitHubAppTokensTests : IDisposable
{
    private static readonly GitHubAppSettings App = new("12345", "678", "/unused.pem", ["org/"], new Uri("http://api.test/api/v3"), "github.com");
    private readonly RSA _key = RSA.Create(2048);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 5, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_token_is_minted_once_with_the_apps_jwt_and_reused_until_five_minutes_before_it_expires()
    {
        var api = new FakeApi(this, TimeSpan.FromHours(1));
        var tokens = new GitHubAppTokens(App, _key, new HttpMessageInvoker(api), _clock);

        Assert.Equal("ghs_1", await tokens.TokenAsync(default));
        _clock.Advance(TimeSpan.FromMinutes(54));
        Assert.Equal("ghs_1", await tokens.TokenAsync(default));
        Assert.Equal(1, api.Mints);
        var request = api.Requests.Single();
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("http://api.test/api/v3/app/installations/678/access_tokens", request.Uri);
        Assert.Equal("Bearer", request.Scheme);
        Assert.Equal(3, request.Jwt!.Split('.').Length);

        _clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Equal("ghs_2", await tokens.TokenAsync(default));
        Assert.Equal(2, api.Mints);
    }

    [Fact]
    public async Task A_root_api_url_gets_no_double_slash()
    {
        var api = new FakeApi(this, TimeSpan.FromHours(1));
        var tokens = new GitHubAppTokens(App with { ApiUrl = new Uri("https://api.github.com") }, _key, new HttpMessageInvoker(api), _clock);

        await tokens.TokenAsync(default);

        Assert.Equal("https://api.github.com/app/installations/678/access_tokens", api.Requests.Single().Uri);
    }

    [Fact]
    public async Task Requests_arriving_together_share_one_mint()
    {
        var api = new FakeApi(this, TimeSpan.FromHours(1)) { Gate = new TaskCompletionSource() };
        var tokens = new GitHubAppTokens(App, _key, new HttpMessageInvoker(api), _clock);

        var waiting = Enumerable.Range(0, 8).Select(_ => tokens.TokenAsync(default)).ToList();
        api.Gate.SetResult();

        Assert.All(await Task.WhenAll(waiting), t => Assert.Equal("ghs_1", t));
        Assert.Equal(1, api.Mints);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "{\"message\":\"A JSON web token could not be decoded\"}", "401: A JSON web token could not be decoded")]
    [InlineData(HttpStatusCode.Created, "{\"expires_at\":\"2026-12-07T06:00:00Z\"}", "without a token")]
    [InlineData(HttpStatusCode.Created, "not json", "without a token")]
    public async Task A_failed_mint_fails_with_its_code_is_not_cached_and_names_no_secret(HttpStatusCode status, string body, string expected)
    {
        var api = new FakeApi(this, TimeSpan.FromHours(1)) { Failure = (status, body) };
        var tokens = new GitHubAppTokens(App, _key, new HttpMessageInvoker(api), _clock);

        var failure = await Assert.ThrowsAsync<CredentialUnavailableException>(() => tokens.TokenAsync(default));

        Assert.Equal("github_app_token_failed", failure.Code);
        Assert.Contains(expected, failure.Message);
        Assert.DoesNotContain(api.Requests.Single().Jwt!, failure.Message);
        api.Failure = null;
        Assert.Equal("ghs_2", await tokens.TokenAsync(default));
    }

    [Fact]
    public async Task The_app_takes_precedence_for_its_prefixes_and_fails_closed_without_falling_back_to_the_host_token()
    {
        var api = new FakeApi(this, TimeSpan.FromHours(1)) { Failure = (HttpStatusCode.InternalServerError, "{}") };
        var hosts = new Dictionary<string, GatewayCredentialSource> { ["github.com"] = new("github.com", "HOST_TOKEN", null, null) };
        var credentials = new GatewayCredentials(hosts, name => name == "HOST_TOKEN" ? "host-token" : null,
            new GitHubAppTokens(App, _key, new HttpMessageInvoker(api), _clock));

        var failure = await Assert.ThrowsAsync<CredentialUnavailableException>(() => credentials.AuthorizationForAsync("github.com", "/org/repo.git", default));
        Assert.Equal("github_app_token_failed", failure.Code);
        Assert.Equal("x-access-token:host-token", Decode(await credentials.AuthorizationForAsync("github.com", "/other/repo.git", default)));

        api.Failure = null;
        Assert.Equal("x-access-token:ghs_2", Decode(await credentials.AuthorizationForAsync("github.com", "/ORG/repo.git", default)));
        Assert.Null(await credentials.AuthorizationForAsync("gitlab.test", "/org/repo.git", default));
    }

    [Fact]
    public async Task A_token_already_inside_the_refresh_margin_serves_its_request_and_the_next_one_mints_again()
    {
        var api = new FakeApi(this, TimeSpan.FromMinutes(2));
        var tokens = new GitHubAppTokens(App, _key, new HttpMessageInvoker(api), _clock);

        Assert.Equal("ghs_1", await tokens.TokenAsync(default));
        Assert.Equal("ghs_2", await tokens.TokenAsync(default));
    }

    public void Dispose() => _key.Dispose();

    private static string Decode(System.Net.Http.Headers.AuthenticationHeaderValue? header) =>
        Encoding.UTF8.GetString(Convert.FromBase64String(header!.Parameter!));

    private sealed record SeenRequest(HttpMethod Method, string Uri, string? Scheme, string? Jwt);

    /// <summary>GitHub's access_tokens endpoint: answers each mint with a numbered token expiring <c>lifetime</c> after the fake clock's now.</summary>
    private sealed class FakeApi(GitHubAppTokensTests test, TimeSpan lifetime) : HttpMessageHandler
    {
        private int _mints;

        public int Mints => _mints;

        public List<SeenRequest> Requests { get; } = [];

        public TaskCompletionSource? Gate { get; init; }

        public (HttpStatusCode Status, string Body)? Failure { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Requests)
                Requests.Add(new SeenRequest(request.Method, request.RequestUri!.ToString(), request.Headers.Authorization?.Scheme, request.Headers.Authorization?.Parameter));
            if (Gate is not null)
                await Gate.Task;
            var number = Interlocked.Increment(ref _mints);
            if (Failure is { } failure)
                return new HttpResponseMessage(failure.Status) { Content = new StringContent(failure.Body) };
            var expires = (test._clock.GetUtcNow() + lifetime).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
            return new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent($"{{\"token\":\"ghs_{number}\",\"expires_at\":\"{expires}\"}}") };
        }
    }
}
