using Cleanroom.Api.Addressing;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server.Tests;

/// <summary>
/// <c>cleanroom tls init</c>'s files end to end: a server on https://127.0.0.1 with them (auth required, a client CA
/// and a static token), and the CLI calling it with --tls-ca and a client certificate or --token-file.
/// </summary>
public sealed class HttpsListenerTests : IAsyncLifetime
{
    private const string Token = "ci-bot-token-0123456789abcdef";
    private ServerUnderTest _server = null!;
    private string _https = null!;

    private string Tls(string name) => Path.Combine(_server.Root, "tls", name);

    public async Task InitializeAsync()
    {
        _server = await ServerUnderTest.StartAsync(null, null, (root, configuration) =>
        {
            // The CLI makes the certificates before the server that uses them starts.
            var init = RunCli(root, "tls", "init", Path.Combine(root, "tls"), "--client", "alice").GetAwaiter().GetResult();
            Assert.Equal(0, init.ExitCode);
            File.WriteAllText(Path.Combine(root, "ci-bot.token"), Token);
            var tls = Path.Combine(root, "tls");
            return configuration with
            {
                Listen = ["https://127.0.0.1:0"],
                Tls = new TlsSettings(Path.Combine(tls, "server.crt"), Path.Combine(tls, "server.key"), Path.Combine(tls, "ca.crt")),
                Auth = AuthSettings.Defaults with { Required = true, Tokens = [new AuthToken(Path.Combine(root, "ci-bot.token"), "ci-bot")] },
            };
        });
        _https = _server.Server.BoundAddresses.OfType<HttpsApiAddress>().Single().ToString();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<CliResult> RunCli(string root, params string[] args)
    {
        var (text, errorText) = (new StringWriter(), new StringWriter());
        var console = new Cleanroom.Cli.CliConsole(text, errorText, name => name == "HOME" ? root : null, root);
        var code = await Cleanroom.Cli.CliApplication.RunAsync(args, console);
        return new CliResult(code, text.ToString(), errorText.ToString());
    }

    [Fact]
    public void Tls_init_writes_a_ca_a_server_and_client_certificates_with_private_keys_0600()
    {
        foreach (var name in new[] { "ca.crt", "ca.key", "server.crt", "server.key", "client-alice.crt", "client-alice.key" })
            Assert.True(File.Exists(Tls(name)), name);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Tls("server.key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Tls("client-alice.key")));
    }

    [Fact]
    public async Task Auth_check_with_a_client_certificate_from_tls_init_prints_its_subject()
    {
        var run = await _server.RunCliAsync("auth", "check", "--host", _https, "--tls-ca", Tls("ca.crt"),
            "--tls-cert", Tls("client-alice.crt"), "--tls-key", Tls("client-alice.key"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("principal: CN=alice", run.Out);
        Assert.Contains("method:    certificate", run.Out);
    }

    [Fact]
    public async Task A_token_file_over_https_runs_a_command_as_its_principal()
    {
        var check = await _server.RunCliAsync("auth", "check", "--json", "--host", _https, "--tls-ca", Tls("ca.crt"), "--token-file", Path.Combine(_server.Root, "ci-bot.token"));
        var exec = await _server.RunCliAsync("exec", "--host", _https, "--tls-ca", Tls("ca.crt"), "--token-file", Path.Combine(_server.Root, "ci-bot.token"), "--", "echo", "over-https");

        Assert.Equal(0, check.ExitCode);
        Assert.Contains("\"principal\":\"ci-bot\"", check.Out);
        Assert.DoesNotContain(Token, check.Out + check.Error);
        Assert.Equal(0, exec.ExitCode);
        Assert.Contains("over-https", exec.Out);
    }

    [Fact]
    public async Task Without_credentials_a_verb_fails_with_unauthenticated_and_what_to_do()
    {
        var run = await _server.RunCliAsync("sandbox", "ls", "--host", _https, "--tls-ca", Tls("ca.crt"));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("unauthenticated", run.Error);
        Assert.Contains("--token-file", run.Error);
    }
}
