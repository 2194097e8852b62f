using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Package registries through the host gateway, with the real clients: Debian's <c>npm</c> and <c>pip</c> in a gVisor
/// sandbox of the debian-registry image install from the test's own registries (<see cref="PackageRegistryUpstream"/>)
/// through the gateway; a new sandbox installs the same again from the host's verified cache with the upstream down
/// (metadata served stale, with a warning event: the server's metadata lifetime is 0); a registry the policy does not
/// allow is refused with <c>registry_not_allowed</c> even when its packages are cached; a tarball whose bytes do not
/// match its integrity is refused with <c>registry_integrity_mismatch</c> and never cached; with the policy's
/// <c>registries.npm.lockfile_enforcement</c>, a package the repository's package-lock.json does not name is refused
/// (<c>deny_unknown</c>) or installed with a warning (<c>warn</c>), either way as <c>lockfile_violation</c>.
/// </summary>
public sealed class RegistryGatewayEndToEndTests(RegistryGatewayEndToEndTests.World world, ITestOutputHelper output)
    : SharedServerTests(world.Server), IClassFixture<RegistryGatewayEndToEndTests.World>
{
    private readonly RealServer _server = world.Server;

    public sealed class World : IAsyncLifetime
    {
        public PackageRegistryUpstream Upstream { get; private set; } = null!;

        public RealServer Server { get; private set; } = null!;

        /// <summary>A policy allowing both registries.</summary>
        public string Both { get; private set; } = null!;

        /// <summary>A policy allowing npm.test only.</summary>
        public string NpmOnly { get; private set; } = null!;

        /// <summary>npm.test with lockfile enforcement in deny_unknown mode; the lockfile names demo-dep-0 only.</summary>
        public string Locked { get; private set; } = null!;

        /// <summary>The same in warn mode.</summary>
        public string Warned { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Upstream = await PackageRegistryUpstream.StartAsync();
            Server = await RealServer.StartAsync(
                $"  dns:\n    hosts:\n      npm.test: {UpstreamNamespace.Address}\n      pypi.test: {UpstreamNamespace.Address}\n",
                $"registries:\n  npm: [{PackageRegistryUpstream.NpmBase}]\n  pypi: [{PackageRegistryUpstream.PypiBase}]\nregistry_cache:\n  metadata_ttl_seconds: 0\n");
            var image = await Product.RegistryImageAsync(Server);
            Both = await PolicyDirectoryAsync("both", image, "npm.test:8080", "pypi.test:8080");
            NpmOnly = await PolicyDirectoryAsync("npm-only", image, "npm.test:8080");
            Locked = await LockedDirectoryAsync("locked", image, "deny_unknown");
            Warned = await LockedDirectoryAsync("warned", image, "warn");
        }

        private async Task<string> PolicyDirectoryAsync(string name, string image, params string[] allow)
        {
            var directory = Directory.CreateDirectory(Path.Combine(Server.Root, name)).FullName;
            await File.WriteAllTextAsync(Path.Combine(directory, "cleanroom.yaml"),
                $"version: 1\nsandbox:\n  image:\n    ref: {image}\n  network:\n    allow:\n{string.Concat(allow.Select(a => $"      - {a}\n"))}");
            return directory;
        }

        /// <summary>A repository whose package-lock.json names demo-dep-0@1.0.0 only, and a policy enforcing it in <paramref name="mode"/>.</summary>
        private async Task<string> LockedDirectoryAsync(string name, string image, string mode)
        {
            var directory = await PolicyDirectoryAsync(name, image, "npm.test:8080");
            await File.AppendAllTextAsync(Path.Combine(directory, "cleanroom.yaml"), $"registries:\n  npm:\n    lockfile_enforcement:\n      lockfile: package-lock.json\n      mode: {mode}\n");
            await File.WriteAllTextAsync(Path.Combine(directory, "package-lock.json"),
                "{\"name\": \"app\", \"lockfileVersion\": 3, \"packages\": {\"\": {\"name\": \"app\"}, \"node_modules/demo-dep-0\": {\"version\": \"1.0.0\"}}}");
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

    private const string NpmInstall = "mkdir -p /root/app && cd /root/app && npm install --no-audit --no-fund --no-update-notifier demo-app >/tmp/npm.log 2>&1; s=$?; tail -5 /tmp/npm.log; exit $s";
    private const string PipInstall = "PIP_BREAK_SYSTEM_PACKAGES=1 pip install --no-cache-dir --disable-pip-version-check --target /root/py demo-pkg >/tmp/pip.log 2>&1; s=$?; tail -5 /tmp/pip.log; exit $s";

    [Fact]
    public async Task Npm_and_pip_install_through_the_gateway_and_a_new_sandbox_installs_again_from_the_cache_with_the_upstream_down()
    {
        var first = await CreateAsync(world.Both);
        var environment = await ExecAsync(first, "sh", "-c", "echo npm=$npm_config_registry; echo pip=$PIP_INDEX_URL; echo trusted=$PIP_TRUSTED_HOST");
        Assert.Contains("/npm/npm.test:8080/cgi-bin/npm/", environment.Stdout);
        Assert.Contains("/pypi/pypi.test:8080/simple/", environment.Stdout);

        var (cold, coldTime) = await TimedAsync(first, "bash", "-c", NpmInstall);
        Assert.True(cold.ExitCode == 0, cold.ToString());
        Assert.Equal("demo-app with 21 dependencies\n", (await ExecAsync(first, "node", "-e", "console.log(require('/root/app/node_modules/demo-app'))")).Stdout);
        var (pip, pipColdTime) = await TimedAsync(first, "bash", "-c", PipInstall);
        Assert.True(pip.ExitCode == 0, pip.ToString());
        Assert.Equal("demo-pkg from the test index\n", (await ExecAsync(first, "python3", "-c", "import sys; sys.path.insert(0, '/root/py'); import demo_pkg; print(demo_pkg.VALUE)")).Stdout);
        var firstEvents = await GatewayEventsAsync(first);
        Assert.Contains(firstEvents, e => e.StartsWith("gateway npm GET npm.test:8080/cgi-bin/npm/demo-app/-/demo-app-1.0.0.tgz: allow (ok), status 200", StringComparison.Ordinal) && e.EndsWith("cache miss"));
        Assert.Contains(firstEvents, e => e.StartsWith("gateway npm GET npm.test:8080/cgi-bin/npm/@demo%2fscoped: allow (ok), status 200", StringComparison.Ordinal));
        Assert.Equal("scoped\n", (await ExecAsync(first, "node", "-e", "console.log(require('/root/app/node_modules/@demo/scoped'))")).Stdout);
        Assert.Contains(firstEvents, e => e.StartsWith("gateway pypi GET pypi.test:8080/-files/sha256-", StringComparison.Ordinal) && e.Contains("status 200") && e.EndsWith("cache miss"));

        await world.Upstream.Namespace.StopServingAsync();
        try
        {
            var second = await CreateAsync(world.Both);
            var (warm, warmTime) = await TimedAsync(second, "bash", "-c", NpmInstall);
            Assert.True(warm.ExitCode == 0, warm.ToString());
            Assert.Equal("demo-app with 21 dependencies\n", (await ExecAsync(second, "node", "-e", "console.log(require('/root/app/node_modules/demo-app'))")).Stdout);
            var (pipAgain, pipWarmTime) = await TimedAsync(second, "bash", "-c", PipInstall);
            Assert.True(pipAgain.ExitCode == 0, pipAgain.ToString());
            output.WriteLine($"npm install demo-app ({PackageRegistryUpstream.DependencyCount + 2} packages): cold {coldTime.TotalMilliseconds:F0} ms, from the cache with the upstream down {warmTime.TotalMilliseconds:F0} ms");
            output.WriteLine($"pip install demo-pkg: cold {pipColdTime.TotalMilliseconds:F0} ms, from the cache with the upstream down {pipWarmTime.TotalMilliseconds:F0} ms");

            var secondEvents = await GatewayEventsAsync(second);
            Assert.Contains(secondEvents, e => e.StartsWith("gateway npm GET npm.test:8080/cgi-bin/npm/demo-app/-/demo-app-1.0.0.tgz: allow (ok), status 200", StringComparison.Ordinal) && e.EndsWith("cache hit"));
            Assert.Contains(secondEvents, e => e.StartsWith("gateway npm GET npm.test:8080/cgi-bin/npm/demo-app: allow (ok), status 200", StringComparison.Ordinal) && e.EndsWith("cache stale"));
            Assert.Contains(secondEvents, e => e.StartsWith("gateway pypi GET pypi.test:8080/simple/demo-pkg/: allow (ok), status 200", StringComparison.Ordinal) && e.EndsWith("cache stale"));
            var warnings = await EventMessagesAsync(second, "message");
            Assert.Contains(warnings, m => m.Contains("the upstream failed") && m.Contains("served the cached metadata") && m.Contains("demo-app"));
        }
        finally
        {
            await world.Upstream.Namespace.ServeAgainAsync();
        }

        var df = await _server.CleanroomAsync("system", "df", "-v", "--json");
        Assert.True(df.ExitCode == 0, df.ToString());
        Assert.Contains("npm/npm.test_8080", df.Stdout);
        Assert.Contains("pypi/pypi.test_8080", df.Stdout);
    }

    [Fact]
    public async Task A_registry_the_policy_does_not_allow_is_refused_even_when_its_packages_are_cached()
    {
        var id = await CreateAsync(world.NpmOnly);
        var environment = await ExecAsync(id, "sh", "-c", "echo pip=$PIP_INDEX_URL; echo npm=$npm_config_registry");
        Assert.Contains("pip=\n", environment.Stdout); // not pointed at a registry it may not use
        Assert.Contains("/npm/npm.test:8080/", environment.Stdout);

        Assert.Equal("403 registry_not_allowed", await CurlStatusAsync(id, "/pypi/pypi.test:8080/simple/demo-pkg/"));
        Assert.Equal("403 registry_not_allowed", await CurlStatusAsync(id, "/npm/other.test:8080/cgi-bin/npm/demo-app"));
        var pip = await ExecAsync(id, "bash", "-c", $"PIP_BREAK_SYSTEM_PACKAGES=1 pip install --no-cache-dir --disable-pip-version-check --retries 0 --target /root/py --trusted-host $(echo $CLEANROOM_GATEWAY | cut -d: -f1) --index-url http://$CLEANROOM_GATEWAY/pypi/pypi.test:8080/simple/ demo-pkg");
        Assert.NotEqual(0, pip.ExitCode);

        var events = await GatewayEventsAsync(id);
        Assert.Contains(events, e => e.StartsWith("gateway pypi GET pypi.test:8080/simple/demo-pkg/: deny (registry_not_allowed), status 403", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tarball_that_does_not_match_its_integrity_is_refused_and_not_cached()
    {
        var id = await CreateAsync(world.Both);

        var install = await ExecAsync(id, "bash", "-c", "mkdir -p /root/bad && cd /root/bad && npm install --no-audit --no-fund --no-update-notifier --fetch-retries=0 bad-pkg");
        Assert.NotEqual(0, install.ExitCode);
        Assert.Equal("502 registry_integrity_mismatch", await CurlStatusAsync(id, "/npm/npm.test:8080/cgi-bin/npm/bad-pkg/-/bad-pkg-1.0.0.tgz"));

        var cached = Directory.EnumerateFiles(Path.Combine(_server.Root, "cache", "cleanroom", "registry"), "*", SearchOption.AllDirectories).ToList();
        Assert.DoesNotContain(cached, f => f.Contains(world.Upstream.BadPackageSha512, StringComparison.Ordinal));
        Assert.DoesNotContain(cached, f => f.Contains(Path.Combine("registry", "tmp") + "/", StringComparison.Ordinal));
        var events = await GatewayEventsAsync(id);
        Assert.Contains(events, e => e.StartsWith("gateway npm GET npm.test:8080/cgi-bin/npm/bad-pkg/-/bad-pkg-1.0.0.tgz: deny (registry_integrity_mismatch), status 502", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_package_the_lockfile_does_not_name_is_refused_in_deny_unknown_and_installed_with_a_warning_in_warn()
    {
        const string Install = "rm -rf /root/l && mkdir -p /root/l && cd /root/l && npm install --no-audit --no-fund --no-update-notifier --fetch-retries=0 ";
        var locked = await CreateAsync(world.Locked);
        var listed = await ExecAsync(locked, "bash", "-c", Install + "demo-dep-0");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var unlisted = await ExecAsync(locked, "bash", "-c", Install + "demo-dep-1");
        Assert.NotEqual(0, unlisted.ExitCode);
        Assert.Equal("403 lockfile_violation", await CurlStatusAsync(locked, "/npm/npm.test:8080/cgi-bin/npm/demo-dep-1/-/demo-dep-1-1.0.0.tgz"));
        var lockedEvents = await GatewayEventsAsync(locked);
        Assert.Contains(lockedEvents, e => e.StartsWith("gateway npm GET npm.test:8080/cgi-bin/npm/demo-dep-0/-/demo-dep-0-1.0.0.tgz: allow (ok), status 200", StringComparison.Ordinal));
        Assert.Contains(lockedEvents, e => e.StartsWith("gateway npm GET npm.test:8080/cgi-bin/npm/demo-dep-1/-/demo-dep-1-1.0.0.tgz: deny (lockfile_violation), status 403", StringComparison.Ordinal));

        var warned = await CreateAsync(world.Warned);
        var installed = await ExecAsync(warned, "bash", "-c", Install + "demo-dep-1");
        Assert.True(installed.ExitCode == 0, installed.ToString());
        Assert.Contains(await GatewayEventsAsync(warned),
            e => e.StartsWith("gateway npm GET npm.test:8080/cgi-bin/npm/demo-dep-1/-/demo-dep-1-1.0.0.tgz: allow (lockfile_violation), status 200", StringComparison.Ordinal));
        Assert.Contains(await EventMessagesAsync(warned, "message"), m => m.Contains("lockfile_violation: demo-dep-1@1.0.0 is not named by the policy's lockfile package-lock.json"));
    }

    private async Task<string> CreateAsync(string policyDirectory)
    {
        var created = await _server.CleanroomAsync("create", "--chdir", policyDirectory);
        Assert.True(created.ExitCode == 0, created.ToString());
        return created.Stdout.Trim();
    }

    private Task<ProgramResult> ExecAsync(string sandboxId, params string[] argv) =>
        Shell.RunAsync([Product.Cleanroom, "exec", "--in", sandboxId, "--", .. argv], _server.Environment, TimeSpan.FromMinutes(5));

    private async Task<(ProgramResult Result, TimeSpan Elapsed)> TimedAsync(string sandboxId, params string[] argv)
    {
        var clock = Stopwatch.StartNew();
        var result = await ExecAsync(sandboxId, argv);
        return (result, clock.Elapsed);
    }

    /// <summary>"STATUS CODE" of a GET to the sandbox's own gateway (by Python's urllib: the image has no curl).</summary>
    private async Task<string> CurlStatusAsync(string sandboxId, string path)
    {
        const string Probe = """
            import os, sys, urllib.error, urllib.request
            try:
                print(urllib.request.urlopen("http://" + os.environ["CLEANROOM_GATEWAY"] + sys.argv[1], timeout=60).status, end=" ")
            except urllib.error.HTTPError as e:
                print(e.code, e.headers.get("X-Cleanroom-Error"), end="")
            """;
        var run = await ExecAsync(sandboxId, "python3", "-c", Probe, path);
        return run.Stdout;
    }

    private Task<List<string>> GatewayEventsAsync(string sandboxId) => EventMessagesAsync(sandboxId, "gateway.request");

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
