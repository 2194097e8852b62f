using System.Text.Json;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// GitHub App credentials through the whole product: the token-protected git host accepts only the installation
/// token, which the fake GitHub API mints for a JWT signed by the App's real key. The runtime config names the App
/// (key file on the host, repository prefix, <c>api_url</c> and <c>host</c> aimed at the test's hosts), and no host
/// token: a clone in a sandbox works only through a minted token, two clones mint once, and when minting fails the clone
/// fails with <c>github_app_token_failed</c> instead of going upstream anonymously.
/// </summary>
public sealed class GitHubAppEndToEndTests : IAsyncLifetime
{
    private static readonly string CloneUrl = $"http://git.test:{UpstreamNamespace.Port}{GitUpstream.RepositoryPath}";

    private GitUpstream _git = null!;
    private FakeGitHubApi _api = null!;
    private RealServer _server = null!;
    private string _secrets = null!;
    private string _policy = null!;

    public async Task InitializeAsync()
    {
        _git = await GitUpstream.StartAsync();
        _api = FakeGitHubApi.Start(_git.Token);
        _secrets = Directory.CreateTempSubdirectory("cleanroom-e2e-app-").FullName;
        var keyFile = Path.Combine(_secrets, "app.pem");
        await File.WriteAllTextAsync(keyFile, _api.PrivateKeyPem);
        _server = await RealServer.StartAsync(
            $"  dns:\n    hosts:\n      git.test: {UpstreamNamespace.Address}\n",
            "gateway:\n  credentials:\n    github_app:\n" +
            $"      app_id: \"{FakeGitHubApi.AppId}\"\n      installation_id: \"{FakeGitHubApi.InstallationId}\"\n" +
            $"      private_key_file: {keyFile}\n      repo_prefixes: [cgi-bin/git/org/]\n      api_url: {_api.ApiUrl}\n      host: git.test\n");
        _policy = Directory.CreateDirectory(Path.Combine(_server.Root, "policy")).FullName;
        await File.WriteAllTextAsync(Path.Combine(_policy, "cleanroom.yaml"),
            $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n  network:\n    allow:\n      - git.test:{UpstreamNamespace.Port}\n");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _api.DisposeAsync();
        await _git.DisposeAsync();
        Directory.Delete(_secrets, recursive: true);
    }

    [Fact]
    public async Task Two_clones_through_an_app_token_mint_it_once_and_the_token_stays_on_the_host()
    {
        var first = await CreateAsync();
        var second = await CreateAsync();

        var one = await ExecAsync(first, "git", "clone", "-q", CloneUrl, "/root/repo");
        var two = await ExecAsync(second, "git", "clone", "-q", CloneUrl, "/root/repo");

        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.True(two.ExitCode == 0, two.ToString());
        Assert.Equal("hello from the private host\n", (await ExecAsync(second, "cat", "/root/repo/README")).Stdout);
        Assert.Empty(_api.Rejections);
        Assert.Equal(1, _api.Mints);
        var events = await _server.CleanroomAsync("sandbox", "events", first, "--json");
        Assert.DoesNotContain(_git.Token, events.Stdout);
        var guest = await ExecAsync(first, "sh", "-c", "for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < $f; done; git config --list --show-origin");
        Assert.DoesNotContain(_git.Token, guest.Stdout);
        Assert.Empty(HostFilesHolding(_git.Token));
    }

    [Fact]
    public async Task When_minting_fails_the_clone_fails_with_github_app_token_failed_and_nothing_goes_upstream_anonymously()
    {
        _api.Refuse = true;
        var id = await CreateAsync();

        var clone = await ExecAsync(id, "git", "clone", "-q", CloneUrl, "/root/repo");

        Assert.NotEqual(0, clone.ExitCode);
        Assert.Contains("github_app_token_failed", clone.Stderr);
        Assert.Equal(0, _api.Mints);
        Assert.Empty(_api.Rejections); // the JWT was fine; the API refused by the test's choice
        var events = await _server.CleanroomAsync("sandbox", "events", id, "--json");
        var gateway = events.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.TryGetProperty("type", out var type) && type.GetString() == "gateway.request")
            .Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.Contains(gateway, e => e.StartsWith($"gateway git GET git.test:8080{GitUpstream.RepositoryPath}/info/refs: deny (github_app_token_failed), status 502", StringComparison.Ordinal));
    }

    /// <summary>Files of the server (log, state database, audit log, run directories, repository mirrors) holding the needle.</summary>
    private List<string> HostFilesHolding(string needle)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(needle);
        var found = new List<string>();
        foreach (var top in new[] { "state", "run", "config", Path.Combine("cache", "cleanroom", "gateway-mirrors") })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(_server.Root, top), "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                try
                {
                    if (new FileInfo(file).Length < 256L << 20 && File.ReadAllBytes(file).AsSpan().IndexOf(bytes) >= 0)
                        found.Add(file);
                }
                catch (IOException)
                {
                    // sockets and fifos
                }
            }
        }

        return found;
    }

    private async Task<string> CreateAsync()
    {
        var created = await _server.CleanroomAsync("create", "--chdir", _policy);
        Assert.True(created.ExitCode == 0, created.ToString());
        return created.Stdout.Trim();
    }

    private Task<ProgramResult> ExecAsync(string sandboxId, params string[] argv) =>
        _server.CleanroomAsync(["exec", "--in", sandboxId, "--", .. argv]);
}
