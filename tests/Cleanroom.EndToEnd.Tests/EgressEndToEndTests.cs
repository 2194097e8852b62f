namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Egress through the whole product: a policy allowing one host:port, the policy resolver naming it from the
/// runtime config, and the CLI reporting what was blocked. The only host aimed at is the test's own namespace.
/// </summary>
public sealed class EgressEndToEndTests : IAsyncLifetime
{
    private UpstreamNamespace _upstream = null!;
    private RealServer _server = null!;
    private string _repo = null!;

    public async Task InitializeAsync()
    {
        _upstream = await UpstreamNamespace.StartAsync("hello from upstream\n");
        _server = await RealServer.StartAsync($"  dns:\n    hosts:\n      upstream.test: {UpstreamNamespace.Address}\n");
        _repo = Directory.CreateDirectory(Path.Combine(_server.Root, "repo")).FullName;
        await File.WriteAllTextAsync(Path.Combine(_repo, "cleanroom.yaml"),
            $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n  network:\n    allow:\n      - upstream.test:{UpstreamNamespace.Port}\n");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task An_allowed_host_port_is_reachable_by_name()
    {
        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", _repo, "--", "curl", "-sS", "-m", "10",
            $"http://upstream.test:{UpstreamNamespace.Port}/hello.txt");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hello from upstream\n", run.Stdout);
    }

    [Fact]
    public async Task Another_port_of_the_same_host_is_blocked_and_reported_once()
    {
        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", _repo, "--", "curl", "-sS", "-m", "3",
            $"http://{UpstreamNamespace.Address}:9090/");

        Assert.NotEqual(0, run.ExitCode);
        var reports = run.Stderr.Split('\n').Where(l => l.StartsWith("cleanroom: blocked egress", StringComparison.Ordinal)).ToList();
        Assert.Equal($"cleanroom: blocked egress to {UpstreamNamespace.Address}:9090/tcp (host_not_allowed)", Assert.Single(reports));
    }

    [Fact]
    public async Task A_name_the_policy_does_not_allow_does_not_resolve_and_is_reported()
    {
        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", _repo, "--", "curl", "-sS", "-m", "3", "http://elsewhere.test/");

        Assert.Equal(6, run.ExitCode); // curl: could not resolve host
        Assert.Contains("cleanroom: refused DNS A elsewhere.test (host_not_allowed)", run.Stderr);
    }

    [Fact]
    public async Task Without_the_allow_rule_the_host_is_unreachable_even_by_address()
    {
        await File.WriteAllTextAsync(Path.Combine(_repo, "cleanroom.yaml"), $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n");

        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", _repo, "--", "curl", "-sS", "-m", "3",
            $"http://{UpstreamNamespace.Address}:{UpstreamNamespace.Port}/hello.txt");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains($"blocked egress to {UpstreamNamespace.Address}:{UpstreamNamespace.Port}/tcp", run.Stderr);
    }
}
