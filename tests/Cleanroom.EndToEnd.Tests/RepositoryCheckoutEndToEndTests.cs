namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Server-side repository checkouts (<c>exec --repo-url</c>): the server fetches a token-protected repository on the
/// host with the host's credential, takes the policy from the requested commit, and runs the command in a checkout of
/// that commit with <c>.git</c> and remote-tracking refs; no local clone and no local policy are involved. A commit
/// whose policy does not allow the repository's host is refused before any sandbox exists.
/// </summary>
public sealed class RepositoryCheckoutEndToEndTests : IAsyncLifetime
{
    private static readonly string Url = $"http://git.test:{UpstreamNamespace.Port}{GitUpstream.RepositoryPath}";

    private GitUpstream _git = null!;
    private RealServer _server = null!;
    private string _secrets = null!;
    private string _first = null!;
    private string _second = null!;
    private string _work = null!;

    public async Task InitializeAsync()
    {
        _git = await GitUpstream.StartAsync();
        _secrets = Directory.CreateTempSubdirectory("cleanroom-e2e-secret-").FullName;
        var tokenFile = Path.Combine(_secrets, "git.test.token");
        await File.WriteAllTextAsync(tokenFile, _git.Token + "\n");
        _server = await RealServer.StartAsync(
            $"  dns:\n    hosts:\n      git.test: {UpstreamNamespace.Address}\n",
            $"gateway:\n  credentials:\n    hosts:\n      git.test: {{token_file: {tokenFile}}}\n");

        // Upstream history: main has two commits whose policies put the repository in different places (so the test
        // sees which commit's policy was used); branch "closed" has a policy that does not allow the repository's host.
        _work = Path.Combine(_server.Root, "upstream-work");
        await Shell.CheckAsync("git", "clone", "-q", _git.BareRepository, _work);
        _first = await CommitAsync("one\n", $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n  network:\n    allow:\n      - git.test:{UpstreamNamespace.Port}\n");
        _second = await CommitAsync("two\n",
            $"version: 1\nrepository:\n  path: /src\n  network:\n    allow:\n      - git.test:{UpstreamNamespace.Port}\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n");
        Assert.Equal(0, (await GitUpstream.Git(_work, "push", "-q", "origin", "main")).ExitCode);
        await GitUpstream.Git(_work, "checkout", "-q", "-b", "closed");
        await CommitAsync("closed\n", $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n");
        Assert.Equal(0, (await GitUpstream.Git(_work, "push", "-q", "origin", "closed")).ExitCode);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _git.DisposeAsync();
        Directory.Delete(_secrets, recursive: true);
    }

    [Fact]
    public async Task Exec_runs_in_a_server_side_checkout_of_the_requested_commit_with_that_commits_policy()
    {
        var script = "cd {0} && cat VERSION && git rev-parse HEAD origin/main && git status -sb | head -1 && git config remote.origin.url";

        var pinned = await _server.CleanroomAsync("exec", "--rm", "--repo-url", Url, "--repo-commit", _first, "--", "sh", "-c", string.Format(script, "/workspace"));
        var tip = await _server.CleanroomAsync("exec", "--rm", "--repo-url", Url, "--", "sh", "-c", string.Format(script, "/src"));

        Assert.True(pinned.ExitCode == 0, pinned.ToString());
        var lines = pinned.Stdout.Split('\n');
        Assert.Equal(["one", _first, _second, "## HEAD (no branch)", Url], lines[..5]);
        Assert.Contains($"cleanroom: policy {Url}@{_first}:cleanroom.yaml", pinned.Stderr);
        Assert.Contains("repository stage started", pinned.Stderr);
        Assert.True(tip.ExitCode == 0, tip.ToString());
        Assert.Equal(["two", _second, _second, "## main...origin/main", Url], tip.Stdout.Split('\n')[..5]);
        Assert.Contains($"cleanroom: policy {Url}@{_second}:cleanroom.yaml", tip.Stderr);
        Assert.DoesNotContain(_git.Token, pinned.Stdout + pinned.Stderr + tip.Stdout + tip.Stderr);
    }

    [Fact]
    public async Task A_commit_whose_policy_does_not_allow_the_repository_host_is_refused_and_nothing_is_made()
    {
        var before = await _server.CleanroomAsync("sandbox", "ls", "--all", "--json");

        var refused = await _server.CleanroomAsync("exec", "--rm", "--repo-url", Url, "--repo-ref", "closed", "--", "true");
        var missing = await _server.CleanroomAsync("exec", "--rm", "--repo-url", Url, "--repo-commit", new string('a', 40), "--", "true");
        var traversal = await _server.CleanroomAsync("exec", "--rm", "--repo-url", $"http://git.test:{UpstreamNamespace.Port}/cgi-bin/git/org/../../x", "--", "true");
        var credentials = await _server.CleanroomAsync("exec", "--rm", "--repo-url", $"http://user:pw@git.test:{UpstreamNamespace.Port}{GitUpstream.RepositoryPath}", "--", "true");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("host_not_allowed", refused.Stderr);
        Assert.Contains($"does not allow git.test:{UpstreamNamespace.Port} in its repository stage", refused.Stderr);
        Assert.Contains("repository_checkout_failed", missing.Stderr);
        Assert.Contains("invalid_argument", traversal.Stderr);
        Assert.Contains("invalid_argument", credentials.Stderr);
        Assert.Equal(before.Stdout, (await _server.CleanroomAsync("sandbox", "ls", "--all", "--json")).Stdout);
    }

    private async Task<string> CommitAsync(string version, string policy)
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "VERSION"), version);
        await File.WriteAllTextAsync(Path.Combine(_work, "cleanroom.yaml"), policy);
        await GitUpstream.Git(_work, "add", "VERSION", "cleanroom.yaml");
        await GitUpstream.Git(_work, "commit", "-qm", version.Trim());
        return (await GitUpstream.Git(_work, "rev-parse", "HEAD")).Stdout.Trim();
    }
}
