using System.Text.RegularExpressions;
using Cleanroom.Api.Tests.Support;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// The NativeAOT binary as a shared server: <c>tls init</c>'s certificates, an https listener on 127.0.0.1, auth
/// required with a real OIDC issuer on 127.0.0.1 (JWKS over HTTP, RSA keys made here); the CLI over https with a
/// token from CLEANROOM_TOKEN and with a client certificate. Proves the JWT bearer handler works trimmed.
/// </summary>
public sealed partial class HttpsAuthEndToEndTests : IAsyncLifetime
{
    private readonly string _tls = Directory.CreateTempSubdirectory("cleanroom-tls-e2e-").FullName;
    private TestOidcIssuer? _issuer;
    private RealServer? _server;
    private string _https = null!;

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            // xunit does not dispose a class whose start failed: leave nothing behind.
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        _issuer = await TestOidcIssuer.StartAsync();
        var init = await Shell.RunAsync([Product.Cleanroom, "tls", "init", _tls, "--client", "alice"]);
        Assert.True(init.ExitCode == 0, init.ToString());
        _server = await RealServer.StartAsync(configYaml:
            $"tls: {{cert_file: {_tls}/server.crt, key_file: {_tls}/server.key, client_ca_file: {_tls}/ca.crt}}\n" +
            $"auth:\n  required: true\n  oidc: {{issuers: [{{issuer: \"{_issuer!.Issuer}\", audience: cleanroom}}]}}\n  admins: [CN=alice]\n",
            listen: ["https://127.0.0.1:0"]);
        // serve logs where it really listens before it reports ready.
        _https = HttpsAddress().Match(await File.ReadAllTextAsync(_server!.LogFile)).Value;
        Assert.NotEmpty(_https);
        // serve --detach says where the server really listens: the socket and the https port chosen for :0.
        Assert.Contains($"server running on unix://{_server.Socket}, {_https}", _server.DetachMessage);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        if (_issuer is not null) await _issuer.DisposeAsync();
        if (Directory.Exists(_tls)) Directory.Delete(_tls, recursive: true);
    }

    private Task<ProgramResult> OverHttps(string? token, params string[] args)
    {
        var environment = new Dictionary<string, string>(_server!.Environment);
        if (token is not null) environment["CLEANROOM_TOKEN"] = token;
        return Shell.RunAsync([Product.Cleanroom, .. args, "--host", _https, "--tls-ca", Path.Combine(_tls, "ca.crt")], environment);
    }

    [Fact]
    public async Task An_oidc_token_over_https_is_its_issuers_subject_and_lists_sandboxes()
    {
        var check = await OverHttps(_issuer!.Token(subject: "pipeline-42"), "auth", "check");
        var list = await OverHttps(_issuer!.Token(), "sandbox", "ls");

        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains($"principal: {_issuer!.Issuer}#pipeline-42", check.Stdout);
        Assert.True(list.ExitCode == 0, list.ToString());
    }

    [Fact]
    public async Task Expired_and_unknown_key_tokens_and_no_token_are_unauthenticated()
    {
        foreach (var token in new[] { _issuer!.Token(expires: DateTime.UtcNow.AddHours(-1)), _issuer!.Token(key: _issuer!.NewKey(publish: false)), null })
        {
            var run = await OverHttps(token, "sandbox", "ls");

            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("unauthenticated", run.Stderr);
        }
    }

    [Fact]
    public async Task A_client_certificate_from_tls_init_is_its_subject_and_an_admin()
    {
        var run = await OverHttps(null, "auth", "check", "--tls-cert", Path.Combine(_tls, "client-alice.crt"), "--tls-key", Path.Combine(_tls, "client-alice.key"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("principal: CN=alice", run.Stdout);
        Assert.Contains("admin:     yes", run.Stdout);
    }

    [Fact]
    public async Task A_gvisor_sandbox_made_with_one_token_is_not_found_for_another_subject()
    {
        var basic = Path.Combine(Product.RepositoryRoot, "examples", "basic");
        var create = await OverHttps(_issuer!.Token(subject: "job-a"), "create", "--chdir", basic);
        Assert.True(create.ExitCode == 0, create.ToString());
        var id = create.Stdout.Trim();

        var owner = await OverHttps(_issuer!.Token(subject: "job-a"), "exec", "--in", id, "--", "echo", "mine");
        var other = await OverHttps(_issuer!.Token(subject: "job-b"), "exec", "--in", id, "--", "echo", "theirs");
        var removedByOther = await OverHttps(_issuer!.Token(subject: "job-b"), "sandbox", "rm", id);
        var removed = await OverHttps(_issuer!.Token(subject: "job-a"), "sandbox", "rm", id);

        Assert.True(owner.ExitCode == 0, owner.ToString());
        Assert.Contains("mine", owner.Stdout);
        Assert.NotEqual(0, other.ExitCode);
        Assert.Contains($"not_found: sandbox {id} does not exist", other.Stderr);
        Assert.Contains("not_found", removedByOther.Stderr);
        Assert.True(removed.ExitCode == 0, removed.ToString());
    }

    [GeneratedRegex(@"https://127\.0\.0\.1:\d+")]
    private static partial Regex HttpsAddress();
}
