using System.Net.Http.Headers;
using System.Text;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Authentication;
using Cleanroom.Api.Errors;
using Cleanroom.Api.Tests.Support;
using Cleanroom.Api.Tls;
using Cleanroom.Api.V1;
using Cleanroom.Client;
using Cleanroom.Errors;

namespace Cleanroom.Api.Tests;

/// <summary>
/// Callers over HTTPS with OIDC tokens from a real issuer on 127.0.0.1 (discovery and JWKS over HTTP, RS256 keys made
/// here), static tokens, and the unix socket's peer uid; with auth.required, anything else is unauthenticated.
/// </summary>
public sealed class AuthenticationTests : IAsyncLifetime
{
    private readonly TempDirectory _certificates = new();
    private TestOidcIssuer _issuer = null!;
    private TestServer _server = null!;
    private HttpsApiAddress _https = null!;
    private string _staticTokenFile = null!;
    private const string StaticToken = "static-token-0123456789abcdef";

    public async Task InitializeAsync()
    {
        _issuer = await TestOidcIssuer.StartAsync();
        TlsSetup.Run(_certificates.Path, [], ["alice"], force: false);
        _staticTokenFile = _certificates.Combine("ci-bot.token");
        await File.WriteAllTextAsync(_staticTokenFile, StaticToken + "\n");
        var requested = new HttpsApiAddress("127.0.0.1", 0);
        _server = await TestServer.StartAsync(options =>
        {
            options.Tls = new ApiTlsOptions(_certificates.Combine("server.crt"), _certificates.Combine("server.key"));
            options.Authentication = new ApiAuthenticationOptions
            {
                Required = true,
                Tokens = [new StaticTokenSource(_staticTokenFile, "ci-bot")],
                OidcIssuers = [new OidcIssuer(_issuer.Issuer, "cleanroom")],
                Admins = ["ci-bot"],
            };
        }, requested);
        _https = (HttpsApiAddress)_server.BoundAddress(requested);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _issuer.DisposeAsync();
        _certificates.Dispose();
    }

    private CleanroomClient Https(string? token) => new(new CleanroomClientOptions
    {
        Address = _https,
        Token = token,
        TlsCaFile = _certificates.Combine("ca.crt"),
    });

    [Fact]
    public async Task Https_with_a_valid_oidc_token_serves_the_call_as_the_tokens_subject()
    {
        using var client = Https(_issuer.Token(subject: "pipeline-7"));

        var identity = await client.Identity.WhoAmIAsync(new WhoAmIRequest());
        var list = await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest());

        Assert.Equal($"{_issuer.Issuer}#pipeline-7", identity.Principal);
        Assert.Equal("oidc", identity.Method);
        Assert.False(identity.Admin);
        Assert.True(identity.Required);
        Assert.Equal(2, list.Sandboxes.Count);
    }

    public static TheoryData<string> BadTokens => new() { "none", "expired", "unknown issuer", "wrong audience", "unknown key id", "garbage" };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_call_without_a_valid_token_is_refused_as_unauthenticated(string kind)
    {
        await using var stranger = await TestOidcIssuer.StartAsync();
        var token = kind switch
        {
            "none" => null,
            "expired" => _issuer.Token(expires: DateTime.UtcNow.AddHours(-1)),
            // A real issuer with its own keys, which this server was not told about.
            "unknown issuer" => stranger.Token(),
            "wrong audience" => _issuer.Token(audience: "another-service"),
            // Signed by a key the issuer does not publish, under a key id it has never heard of.
            "unknown key id" => _issuer.Token(key: _issuer.NewKey(publish: false)),
            _ => "not-a-token-at-all-0123456789",
        };
        using var client = Https(token);

        var error = await Assert.ThrowsAsync<RemoteErrorException>(async () =>
            await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest()));

        Assert.Equal(ErrorCode.Unauthenticated, error.Code);
        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, error.Status);
        if (token is not null) Assert.DoesNotContain(token, error.Message);
    }

    [Fact]
    public async Task Unknown_key_ids_refetch_the_issuers_keys_at_most_once_a_minute()
    {
        using (var valid = Https(_issuer.Token())) await valid.Identity.WhoAmIAsync(new WhoAmIRequest());
        var afterFirst = _issuer.JwksFetches;

        for (var i = 0; i < 5; i++)
        {
            using var client = Https(_issuer.Token(key: _issuer.NewKey(publish: false)));
            await Assert.ThrowsAsync<RemoteErrorException>(async () => await client.Identity.WhoAmIAsync(new WhoAmIRequest()));
        }

        Assert.Equal(1, afterFirst);
        // The first unknown key id may trigger one refetch; the four after it fall within the minute.
        Assert.InRange(_issuer.JwksFetches, 1, 2);
    }

    [Fact]
    public async Task A_static_token_is_its_configured_principal_and_admins_are_marked()
    {
        using var client = Https(StaticToken);

        var identity = await client.Identity.WhoAmIAsync(new WhoAmIRequest());

        Assert.Equal("ci-bot", identity.Principal);
        Assert.Equal("token", identity.Method);
        Assert.True(identity.Admin);
    }

    [Fact]
    public async Task The_unix_socket_peer_is_its_uid_even_when_identities_are_required()
    {
        using var client = new CleanroomClient(_server.Socket);

        var identity = await client.Identity.WhoAmIAsync(new WhoAmIRequest());

        Assert.Equal($"uid:{Cleanroom.Api.Interop.EffectiveUser.Id}", identity.Principal);
        Assert.Equal("unix", identity.Method);
    }

    [Fact]
    public async Task A_connect_call_without_credentials_gets_401_with_the_stable_code()
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
        var request = new HttpRequestMessage(HttpMethod.Post, $"{_https}/cleanroom.v1.SandboxService/ListSandboxes")
        {
            Content = new StringContent("{}", Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("\"code\":\"unauthenticated\"", body);
        Assert.Contains("unauthenticated", body);
    }

    [Fact]
    public async Task A_server_not_trusted_by_tls_ca_is_refused_by_the_client()
    {
        using var other = new TempDirectory();
        TlsSetup.Run(other.Path, [], [], force: false);
        using var client = new CleanroomClient(new CleanroomClientOptions { Address = _https, Token = StaticToken, TlsCaFile = other.Combine("ca.crt") });

        var error = await Assert.ThrowsAsync<RemoteErrorException>(async () => await client.Identity.WhoAmIAsync(new WhoAmIRequest()));

        // A transport failure (the TLS handshake), not an answer from the server, with what to check.
        Assert.Equal(Grpc.Core.StatusCode.Unavailable, error.Status);
        Assert.Contains("--tls-ca", error.Message);
        Assert.Contains("SSL", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
