using Cleanroom.Api.Addressing;
using Cleanroom.Api.Errors;
using Cleanroom.Api.Authentication;
using Cleanroom.Api.Tests.Support;
using Cleanroom.Api.Tls;
using Cleanroom.Api.V1;
using Cleanroom.Client;
using Cleanroom.Errors;

namespace Cleanroom.Api.Tests;

/// <summary>
/// auth.policy over real OIDC tokens (an issuer on 127.0.0.1, RS256) and a static token: the first matching rule
/// decides what WhoAmI reports; a denied caller gets access_denied for everything else; no match denies.
/// </summary>
public sealed class ClaimsPolicyTests : IAsyncLifetime
{
    private readonly TempDirectory _certificates = new();
    private TestOidcIssuer _issuer = null!;
    private TestServer _server = null!;
    private HttpsApiAddress _https = null!;
    private const string AdminToken = "admin-token-0123456789abcdef";

    public async Task InitializeAsync()
    {
        _issuer = await TestOidcIssuer.StartAsync();
        TlsSetup.Run(_certificates.Path, [], [], force: false);
        var tokenFile = _certificates.Combine("admin.token");
        await File.WriteAllTextAsync(tokenFile, AdminToken);
        var requested = new HttpsApiAddress("127.0.0.1", 0);
        _server = await TestServer.StartAsync(options =>
        {
            options.Tls = new ApiTlsOptions(_certificates.Combine("server.crt"), _certificates.Combine("server.key"));
            options.Authentication = new ApiAuthenticationOptions
            {
                Required = true,
                Tokens = [new StaticTokenSource(tokenFile, "operator")],
                OidcIssuers = [new OidcIssuer(_issuer.Issuer, "cleanroom")],
                Admins = ["operator"],
                Policy =
                [
                    new AccessRule([new ClaimMatch("sub", "blocked-*")], false, [], [], false),
                    new AccessRule([new ClaimMatch("repository", "org/*")], true, ["gvisor"], null, false),
                    new AccessRule([new ClaimMatch("repository", "trusted/*"), new ClaimMatch("sub", "deploy")], true, null, ["ghcr.io/trusted/*"], true),
                ],
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

    private CleanroomClient Https(string token) => new(new CleanroomClientOptions
    {
        Address = _https,
        Token = token,
        TlsCaFile = _certificates.Combine("ca.crt"),
    });

    [Fact]
    public async Task A_matching_allow_rule_is_reported_with_its_limits_and_the_call_is_served()
    {
        using var client = Https(_issuer.Token(subject: "pipeline-7", repository: "org/app"));

        var identity = await client.Identity.WhoAmIAsync(new WhoAmIRequest());
        await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest());

        Assert.True(identity.Allowed);
        Assert.Equal("auth.policy[1] (repository matches \"org/*\")", identity.PolicyReason);
        Assert.False(identity.AnyBackend);
        Assert.Equal(new[] { "gvisor" }, identity.Backends.ToArray());
        Assert.True(identity.AnyImage);
        Assert.False(identity.AllowAll);
    }

    [Fact]
    public async Task Every_pattern_of_a_rule_must_match()
    {
        using var deploy = Https(_issuer.Token(subject: "deploy", repository: "trusted/site"));
        using var other = Https(_issuer.Token(subject: "someone", repository: "trusted/site"));

        var allowed = await deploy.Identity.WhoAmIAsync(new WhoAmIRequest());
        var denied = await other.Identity.WhoAmIAsync(new WhoAmIRequest());

        Assert.True(allowed.Allowed);
        Assert.True(allowed.AllowAll);
        Assert.Equal(new[] { "ghcr.io/trusted/*" }, allowed.Images.ToArray());
        Assert.False(denied.Allowed);
        Assert.Contains("no auth.policy rule matches", denied.PolicyReason);
    }

    [Theory]
    [InlineData("blocked-1", "org/app", "auth.policy[0]")]
    [InlineData("pipeline-7", "elsewhere/app", "no auth.policy rule matches")]
    public async Task A_denied_caller_learns_why_from_whoami_and_gets_access_denied_for_the_rest(string subject, string repository, string reason)
    {
        using var client = Https(_issuer.Token(subject: subject, repository: repository));

        var identity = await client.Identity.WhoAmIAsync(new WhoAmIRequest());
        var error = await Assert.ThrowsAsync<RemoteErrorException>(async () =>
            await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest()));

        Assert.False(identity.Allowed);
        Assert.Contains(reason, identity.PolicyReason);
        Assert.Equal(ErrorCode.AccessDenied, error.Code);
        Assert.Equal(Grpc.Core.StatusCode.PermissionDenied, error.Status);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public async Task Admins_are_not_subject_to_the_policy()
    {
        using var client = Https(AdminToken);

        var identity = await client.Identity.WhoAmIAsync(new WhoAmIRequest());
        await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest());

        Assert.True(identity.Admin);
        Assert.True(identity.Allowed);
        Assert.True(identity.AnyBackend);
        Assert.Contains("auth.admins", identity.PolicyReason);
    }

    [Fact]
    public async Task The_unix_socket_peer_matches_no_rule_here_and_is_denied()
    {
        using var client = new CleanroomClient(_server.Socket);

        var identity = await client.Identity.WhoAmIAsync(new WhoAmIRequest());
        var error = await Assert.ThrowsAsync<RemoteErrorException>(async () =>
            await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest()));

        Assert.Equal("unix", identity.Method);
        Assert.False(identity.Allowed);
        Assert.Equal(ErrorCode.AccessDenied, error.Code);
    }
}
