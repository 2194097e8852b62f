using System.Net;
using Cleanroom.Network.Tests;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Egress through the whole product: a policy allowing host:ports, the policy resolver naming them from the runtime
/// config's static hosts or by forwarding to an upstream resolver, and the CLI reporting what was blocked. The only
/// hosts aimed at are the test's own: the upstream namespace, and the upstream resolver on that namespace's link.
/// </summary>
public sealed class EgressEndToEndTests(EgressEndToEndTests.World world) : SharedServerTests(world.Server), IClassFixture<EgressEndToEndTests.World>
{
    /// <summary>Known only to the upstream resolver, so reaching it proves the server forwarded (ARSoft's DnsClient).</summary>
    private const string ForwardedName = "forwarded.test";

    private readonly RealServer _server = world.Server;
    private readonly string _repo = world.Repository;

    /// <summary>The upstream, its resolver, one server and a repository whose policy allows both names: for every test.</summary>
    public sealed class World : IAsyncLifetime
    {
        private UpstreamNamespace? _upstream;

        public RealServer Server { get; private set; } = null!;

        internal TestDnsServer UpstreamDns { get; private set; } = null!;

        public string Repository { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            _upstream = await UpstreamNamespace.StartAsync("hello from upstream\n");
            UpstreamDns = new TestDnsServer(IPAddress.Parse(UpstreamNamespace.HostAddress),
                new Dictionary<string, (IPAddress, int)> { [ForwardedName] = (IPAddress.Parse(UpstreamNamespace.Address), 60) });
            Server = await RealServer.StartAsync(
                $"  dns:\n    upstream: {UpstreamNamespace.HostAddress}\n    hosts:\n      upstream.test: {UpstreamNamespace.Address}\n");
            Repository = Directory.CreateDirectory(Path.Combine(Server.Root, "repo")).FullName;
            await File.WriteAllTextAsync(Path.Combine(Repository, "cleanroom.yaml"),
                $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n  network:\n    allow:\n"
                + $"      - upstream.test:{UpstreamNamespace.Port}\n      - {ForwardedName}:{UpstreamNamespace.Port}\n");
        }

        public async Task DisposeAsync()
        {
            if (Server is not null)
                await Server.DisposeAsync();
            UpstreamDns?.Dispose();
            if (_upstream is not null)
                await _upstream.DisposeAsync();
        }
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
    public async Task An_allowed_name_only_the_upstream_resolver_knows_is_forwarded_and_reachable()
    {
        var questionsBefore = world.UpstreamDns.Questions;
        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", _repo, "--", "curl", "-sS", "-m", "10",
            $"http://{ForwardedName}:{UpstreamNamespace.Port}/hello.txt");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hello from upstream\n", run.Stdout);
        Assert.True(world.UpstreamDns.Questions > questionsBefore, "the server answered without asking the upstream resolver");
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
    public async Task Exposing_a_port_does_not_widen_egress()
    {
        var created = await _server.CleanroomAsync("create", "--chdir", _repo, "--expose", "0:8080", "--expose", "0:22");
        Assert.True(created.ExitCode == 0, created.ToString());
        var sandboxId = created.Stdout.Trim();

        var denied = await _server.CleanroomAsync("exec", "--in", sandboxId, "--", "curl", "-sS", "-m", "3", $"http://{UpstreamNamespace.Address}:9090/");
        var allowed = await _server.CleanroomAsync("exec", "--in", sandboxId, "--", "curl", "-sS", "-m", "10",
            $"http://upstream.test:{UpstreamNamespace.Port}/hello.txt");

        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains($"cleanroom: blocked egress to {UpstreamNamespace.Address}:9090/tcp (host_not_allowed)", denied.Stderr);
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
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
        var denyAll = Directory.CreateDirectory(Path.Combine(_server.Root, "deny-all")).FullName;
        await File.WriteAllTextAsync(Path.Combine(denyAll, "cleanroom.yaml"), $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n");

        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", denyAll, "--", "curl", "-sS", "-m", "3",
            $"http://{UpstreamNamespace.Address}:{UpstreamNamespace.Port}/hello.txt");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains($"blocked egress to {UpstreamNamespace.Address}:{UpstreamNamespace.Port}/tcp", run.Stderr);
    }
}
