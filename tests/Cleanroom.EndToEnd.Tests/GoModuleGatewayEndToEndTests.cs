using System.Text.Json;
using Xunit.Abstractions;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// The Go module proxy route and the download route of the host gateway, with the real clients: Debian's <c>go</c> in a
/// gVisor sandbox of the debian-go image builds a program that needs a module from the test's own proxy
/// (<see cref="GoModuleUpstream"/>) through <c>GOPROXY</c>, which the sandbox got from its policy, checking it against the
/// test's own checksum database through the same proxy (GOSUMDB names its key; nothing turns checking off); a new sandbox
/// builds it again from the host's cache with the upstream down (metadata stale: the server's metadata lifetime is 0);
/// with a checksum database key that does not match, the go client refuses the module. <c>curl</c> downloads a file by URL
/// and digest; a wrong digest is refused with <c>registry_integrity_mismatch</c> and nothing cached; a sandbox whose policy
/// does not allow the file's host gets <c>registry_not_allowed</c> although the file is cached.
/// </summary>
public sealed class GoModuleGatewayEndToEndTests(GoModuleGatewayEndToEndTests.World world, ITestOutputHelper output)
    : SharedServerTests(world.Server), IClassFixture<GoModuleGatewayEndToEndTests.World>
{
    private readonly RealServer _server = world.Server;

    public sealed class World : IAsyncLifetime
    {
        public GoModuleUpstream Upstream { get; private set; } = null!;

        public RealServer Server { get; private set; } = null!;

        /// <summary>A policy allowing the Go proxy and the file host.</summary>
        public string Both { get; private set; } = null!;

        /// <summary>A policy allowing the Go proxy only.</summary>
        public string GoOnly { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Upstream = await GoModuleUpstream.StartAsync();
            Server = await RealServer.StartAsync(
                $"  dns:\n    hosts:\n      proxy.test: {UpstreamNamespace.Address}\n      files.test: {UpstreamNamespace.Address}\n",
                $"registries:\n  go: [{GoModuleUpstream.ProxyBase}]\nregistry_cache:\n  metadata_ttl_seconds: 0\n");
            var image = await Product.BuiltImageAsync(Server, "debian-go");
            Both = await PolicyDirectoryAsync("both", image, "proxy.test:8080", "files.test:8080");
            GoOnly = await PolicyDirectoryAsync("go-only", image, "proxy.test:8080");
        }

        private async Task<string> PolicyDirectoryAsync(string name, string image, params string[] allow)
        {
            var directory = Directory.CreateDirectory(Path.Combine(Server.Root, name)).FullName;
            await File.WriteAllTextAsync(Path.Combine(directory, "cleanroom.yaml"),
                $"version: 1\nsandbox:\n  image:\n    ref: {image}\n  network:\n    allow:\n{string.Concat(allow.Select(a => $"      - {a}\n"))}");
            return directory;
        }

        public async Task DisposeAsync()
        {
            if (Server is not null)
                await Server.DisposeAsync();
            if (Upstream is not null)
                await Upstream.DisposeAsync();
        }
    }

    /// <summary>A program importing the module, built and run with go.sum filled (and checked) as it goes; then its versions listed.</summary>
    private static string GoBuild(string sumDb) =>
        "set -e; export HOME=/root GOPATH=/root/go GOCACHE=/root/.cache/go-build GOSUMDB='" + sumDb + "'\n" +
        "mkdir -p /root/app && cd /root/app\n" +
        $"printf 'module example.test/app\\n\\ngo 1.19\\n\\nrequire {GoModuleUpstream.Module} {GoModuleUpstream.Version}\\n' > go.mod\n" +
        $"printf 'package main\\n\\nimport (\\n\\t\"fmt\"\\n\\t\"{GoModuleUpstream.Module}\"\\n)\\n\\nfunc main() {{ fmt.Println(hello.Greeting) }}\\n' > main.go\n" +
        "go run -mod=mod .\n" +
        $"go list -m -versions {GoModuleUpstream.Module}\n" +
        "cat go.sum\n";

    [Fact]
    public async Task Go_builds_through_the_gateway_checked_by_its_checksum_database_and_again_from_the_cache_with_the_upstream_down()
    {
        var first = await CreateAsync(world.Both);
        var environment = await ExecAsync(first, "sh", "-c", "echo goproxy=$GOPROXY; echo gosumdb=$GOSUMDB; echo gonosumdb=$GONOSUMDB; echo goflags=$GOFLAGS");
        Assert.Matches("goproxy=http://[0-9.]+:[0-9]+/go/proxy.test:8080/\n", environment.Stdout);
        Assert.Contains("gosumdb=\ngonosumdb=\ngoflags=\n", environment.Stdout);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cold = await ExecAsync(first, "bash", "-c", GoBuild(world.Upstream.SumDb.VerifierKey));
        var coldTime = clock.Elapsed;
        Assert.True(cold.ExitCode == 0, cold.ToString());
        Assert.Contains($"{GoModuleUpstream.Greeting}\n{GoModuleUpstream.Module} {GoModuleUpstream.Version}\n", cold.Stdout);
        Assert.Contains($"{GoModuleUpstream.Module} {GoModuleUpstream.Version} h1:", cold.Stdout);
        var events = await EventMessagesAsync(first, "gateway.request");
        var zip = $"gateway go GET proxy.test:8080/{GoModuleUpstream.Module}/@v/{GoModuleUpstream.Version}.zip: allow (ok), status 200";
        Assert.Contains(events, e => e.StartsWith(zip, StringComparison.Ordinal) && e.EndsWith("cache miss"));
        Assert.Contains(events, e => e.StartsWith($"gateway go GET proxy.test:8080/sumdb/sumdb.test/lookup/{GoModuleUpstream.Module}@{GoModuleUpstream.Version}: allow (ok), status 200", StringComparison.Ordinal));
        Assert.Contains(events, e => e.StartsWith("gateway go GET proxy.test:8080/sumdb/sumdb.test/tile/8/0/000.p/1: allow (ok), status 200", StringComparison.Ordinal));

        // The go client checks what the gateway serves: against a database key that did not sign the tree, it refuses.
        var forged = await CreateAsync(world.Both);
        var refused = await ExecAsync(forged, "bash", "-c", GoBuild(new GoChecksumDatabase("sumdb.test").VerifierKey));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("verifying", refused.Stdout + refused.Stderr);

        await world.Upstream.Namespace.StopServingAsync();
        try
        {
            var second = await CreateAsync(world.Both);
            clock.Restart();
            var warm = await ExecAsync(second, "bash", "-c", GoBuild(world.Upstream.SumDb.VerifierKey));
            var warmTime = clock.Elapsed;
            Assert.True(warm.ExitCode == 0, warm.ToString());
            Assert.Contains(GoModuleUpstream.Greeting + "\n", warm.Stdout);
            var again = await EventMessagesAsync(second, "gateway.request");
            Assert.Contains(again, e => e.StartsWith(zip, StringComparison.Ordinal) && e.EndsWith("cache hit"));
            Assert.Contains(again, e => e.StartsWith($"gateway go GET proxy.test:8080/{GoModuleUpstream.Module}/@v/list: allow (ok), status 200", StringComparison.Ordinal) && e.EndsWith("cache stale"));
            Assert.Contains(again, e => e.Contains("/sumdb/sumdb.test/lookup/", StringComparison.Ordinal) && e.EndsWith("cache stale"));
            output.WriteLine($"go run -mod=mod . and go list -m -versions in a new sandbox: cold {coldTime.TotalMilliseconds:F0} ms, " +
                $"from the cache with the upstream down {warmTime.TotalMilliseconds:F0} ms (both compile the program)");
        }
        finally
        {
            await world.Upstream.Namespace.ServeAgainAsync();
        }

        var df = await _server.CleanroomAsync("system", "df", "-v", "--json");
        Assert.True(df.ExitCode == 0, df.ToString());
        Assert.Contains("go/proxy.test_8080", df.Stdout);
    }

    [Fact]
    public async Task A_download_by_url_and_digest_is_verified_cached_and_served_only_where_the_policy_allows_its_host()
    {
        var sha = world.Upstream.ToolSha256;
        var url = $"/download/sha256/{sha}/http/files.test:8080{GoModuleUpstream.ToolPath}";
        var first = await CreateAsync(world.Both);
        var fetched = await ExecAsync(first, "bash", "-c", $"curl -fsS -o /tmp/tool.bin http://$CLEANROOM_GATEWAY{url} && sha256sum /tmp/tool.bin");
        Assert.True(fetched.ExitCode == 0, fetched.ToString());
        Assert.StartsWith(sha, fetched.Stdout);

        var wrong = new string('0', 64);
        Assert.Equal("502 registry_integrity_mismatch", await CurlStatusAsync(first, $"/download/sha256/{wrong}/http/files.test:8080{GoModuleUpstream.ToolPath}"));
        var cached = Directory.EnumerateFiles(Path.Combine(_server.Root, "cache", "cleanroom", "registry"), "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(cached, f => f.EndsWith($"sha256-{sha}", StringComparison.Ordinal));
        Assert.DoesNotContain(cached, f => f.Contains(wrong, StringComparison.Ordinal));
        var events = await EventMessagesAsync(first, "gateway.request");
        Assert.Contains(events, e => e.StartsWith($"gateway download GET files.test:8080{GoModuleUpstream.ToolPath}: deny (registry_integrity_mismatch), status 502", StringComparison.Ordinal));

        var goOnly = await CreateAsync(world.GoOnly);
        Assert.Equal("403 registry_not_allowed", await CurlStatusAsync(goOnly, url));

        await world.Upstream.Namespace.StopServingAsync();
        try
        {
            var second = await CreateAsync(world.Both);
            var again = await ExecAsync(second, "bash", "-c", $"curl -fsS -o /tmp/tool.bin http://$CLEANROOM_GATEWAY{url} && sha256sum /tmp/tool.bin");
            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.StartsWith(sha, again.Stdout);
            Assert.Contains(await EventMessagesAsync(second, "gateway.request"),
                e => e.StartsWith($"gateway download GET files.test:8080{GoModuleUpstream.ToolPath}: allow (ok), status 200", StringComparison.Ordinal) && e.EndsWith("cache hit"));
        }
        finally
        {
            await world.Upstream.Namespace.ServeAgainAsync();
        }
    }

    private async Task<string> CreateAsync(string policyDirectory)
    {
        var created = await _server.CleanroomAsync("create", "--chdir", policyDirectory);
        Assert.True(created.ExitCode == 0, created.ToString());
        return created.Stdout.Trim();
    }

    private Task<ProgramResult> ExecAsync(string sandboxId, params string[] argv) =>
        Shell.RunAsync([Product.Cleanroom, "exec", "--in", sandboxId, "--", .. argv], _server.Environment, TimeSpan.FromMinutes(5));

    /// <summary>"STATUS CODE" of a GET to the sandbox's own gateway, by curl.</summary>
    private async Task<string> CurlStatusAsync(string sandboxId, string path)
    {
        var run = await ExecAsync(sandboxId, "bash", "-c", $"curl -s -o /dev/null -w '%{{http_code}} %header{{x-cleanroom-error}}' http://$CLEANROOM_GATEWAY{path}");
        return run.Stdout;
    }

    private async Task<List<string>> EventMessagesAsync(string sandboxId, string type)
    {
        var events = await _server.CleanroomAsync("sandbox", "events", sandboxId, "--json");
        Assert.True(events.ExitCode == 0, events.ToString());
        var list = new List<string>();
        foreach (var line in events.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("type", out var t) && t.GetString() == type)
                list.Add(doc.RootElement.GetProperty("message").GetString()!);
        }

        return list;
    }
}
