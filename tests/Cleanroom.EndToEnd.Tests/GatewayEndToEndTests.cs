using System.Text;
using System.Text.Json;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// The host gateway through the whole product: real git in a gVisor sandbox clones, fetches and pushes a private
/// repository of a token-protected <c>git http-backend</c> (the test's own host at UpstreamNamespace.Address, named git.test through
/// <c>network.dns.hosts</c>) while the token exists only in a file on the host; the sandbox never learns it. And the
/// gateway is no way around the policy: a sandbox whose policy does not name the host, a host process, another
/// sandbox and malformed requests are all refused.
/// </summary>
public sealed class GatewayEndToEndTests(GatewayEndToEndTests.World world) : SharedServerTests(world.Server), IClassFixture<GatewayEndToEndTests.World>
{
    private static readonly string CloneUrl = $"http://git.test:{UpstreamNamespace.Port}{GitUpstream.RepositoryPath}";

    private readonly GitUpstream _git = world.Git;
    private readonly RealServer _server = world.Server;
    private readonly string _allowed = world.Allowed;
    private readonly string _other = world.Other;

    /// <summary>
    /// The git host, its token in a file, one server and the two policies, for every test. A test that needs a
    /// repository nobody fetched yet (an empty mirror) gives the host's repository a name of its own.
    /// </summary>
    public sealed class World : IAsyncLifetime
    {
        private string? _secrets;

        public GitUpstream Git { get; private set; } = null!;

        public RealServer Server { get; private set; } = null!;

        public string Allowed { get; private set; } = null!;

        public string Other { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Git = await GitUpstream.StartAsync();
            _secrets = Directory.CreateTempSubdirectory("cleanroom-e2e-secret-").FullName;
            var tokenFile = Path.Combine(_secrets, "git.test.token");
            await File.WriteAllTextAsync(tokenFile, Git.Token + "\n");
            Server = await RealServer.StartAsync(
                $"  dns:\n    hosts:\n      git.test: {UpstreamNamespace.Address}\n      other.test: {UpstreamNamespace.Address}\n",
                $"gateway:\n  credentials:\n    hosts:\n      git.test: {{token_file: {tokenFile}}}\n");
            Allowed = await PolicyDirectoryAsync("allowed", $"git.test:{UpstreamNamespace.Port}");
            Other = await PolicyDirectoryAsync("other", $"other.test:{UpstreamNamespace.Port}");
        }

        private async Task<string> PolicyDirectoryAsync(string name, string allow)
        {
            var directory = Directory.CreateDirectory(Path.Combine(Server.Root, name)).FullName;
            await File.WriteAllTextAsync(Path.Combine(directory, "cleanroom.yaml"),
                $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n  network:\n    allow:\n      - {allow}\n");
            return directory;
        }

        public async Task DisposeAsync()
        {
            if (Server is not null)
                await Server.DisposeAsync();
            if (Git is not null)
                await Git.DisposeAsync();
            if (_secrets is not null)
                Directory.Delete(_secrets, recursive: true);
        }
    }

    [Fact]
    public async Task Git_clones_fetches_and_pushes_through_the_gateway_while_the_token_stays_on_the_host()
    {
        var upstreamWithoutToken = await GitUpstream.Git(_server.Root, "ls-remote", $"http://{UpstreamNamespace.Address}:{UpstreamNamespace.Port}{GitUpstream.RepositoryPath}");
        Assert.NotEqual(0, upstreamWithoutToken.ExitCode); // the host really wants its token
        var id = await CreateAsync(_allowed);

        var clone = await ExecAsync(id, "git", "clone", "-q", CloneUrl, "/root/repo");
        Assert.True(clone.ExitCode == 0, clone.ToString());
        Assert.Equal("hello from the private host\n", (await ExecAsync(id, "cat", "/root/repo/README")).Stdout);

        // fetch: a commit made upstream after the clone arrives
        var upstreamWork = Path.Combine(_server.Root, "upstream-work");
        await Shell.CheckAsync("git", "clone", "-q", _git.BareRepository, upstreamWork);
        await File.WriteAllTextAsync(Path.Combine(upstreamWork, "NEWS"), "second\n");
        await GitUpstream.Git(upstreamWork, "add", "NEWS");
        await GitUpstream.Git(upstreamWork, "commit", "-qm", "second");
        Assert.Equal(0, (await GitUpstream.Git(upstreamWork, "push", "-q", "origin", "main")).ExitCode);
        var pull = await ExecAsync(id, "git", "-C", "/root/repo", "pull", "-q", "--ff-only");
        Assert.True(pull.ExitCode == 0, pull.ToString());
        Assert.Equal("second\n", (await ExecAsync(id, "cat", "/root/repo/NEWS")).Stdout);

        // push: the sandbox's commit lands in the host's bare repository
        var push = await ExecAsync(id, "sh", "-c",
            "cd /root/repo && echo from-sandbox > PUSHED && git add PUSHED && git -c user.name=Agent -c user.email=agent@sandbox.test commit -qm pushed && git push -q origin HEAD:main");
        Assert.True(push.ExitCode == 0, push.ToString());
        Assert.Equal("from-sandbox\n", (await GitUpstream.Git(_git.BareRepository, "show", "main:PUSHED")).Stdout);

        // where the token must not be: every process's environment and command line, every file, git's config
        var processes = await ExecAsync(id, "sh", "-c", "for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < $f; done; git config --list --show-origin");
        Assert.Contains("CLEANROOM_GATEWAY=", processes.Stdout);
        Assert.Contains("insteadof=http://git.test:8080/", processes.Stdout);
        Assert.DoesNotContain(_git.Token, processes.Stdout);
        Assert.Equal("/root/repo/README\n", (await GuestFilesHoldingAsync(id, "hello from the private host")).Stdout); // the search finds what is there
        var files = await GuestFilesHoldingAsync(id, _git.Token);
        Assert.True(files.ExitCode == 1 && files.Stdout.Length == 0, $"the token is in guest files: {files}");

        var events = await _server.CleanroomAsync("sandbox", "events", id, "--json");
        Assert.DoesNotContain(_git.Token, events.Stdout);
        var gateway = await GatewayEventsAsync(id);
        Assert.Contains(gateway, e => e.StartsWith($"gateway git POST git.test:8080{GitUpstream.RepositoryPath}/git-upload-pack: allow (ok), status 200", StringComparison.Ordinal));
        Assert.Contains(gateway, e => e.StartsWith($"gateway git POST git.test:8080{GitUpstream.RepositoryPath}/git-receive-pack: allow (ok), status 200", StringComparison.Ordinal));
        Assert.NotEmpty(HostFilesHolding(id)); // the search reads the server's log and state
        Assert.Empty(HostFilesHolding(_git.Token));
    }

    [Fact]
    public async Task A_fetch_fills_the_hosts_mirror_on_a_miss_and_the_next_clone_is_served_from_it()
    {
        // A repository of its own on the host, so no other test of the class has filled its mirror.
        const string path = "/cgi-bin/git/org/mirrored.git";
        Directory.CreateSymbolicLink(Path.Combine(Path.GetDirectoryName(_git.BareRepository)!, "mirrored.git"), _git.BareRepository);
        var url = $"http://git.test:{UpstreamNamespace.Port}{path}";
        var first = await CreateAsync(_allowed);
        var second = await CreateAsync(_allowed);

        var miss = await ExecAsync(first, "git", "clone", "-q", url, "/root/repo");
        var hit = await ExecAsync(second, "git", "clone", "-q", url, "/root/repo");

        Assert.True(miss.ExitCode == 0, miss.ToString());
        Assert.True(hit.ExitCode == 0, hit.ToString());
        Assert.Equal("hello from the private host\n", (await ExecAsync(second, "cat", "/root/repo/README")).Stdout);
        var fetch = $"gateway git POST git.test:8080{path}/git-upload-pack: allow (ok), status 200";
        Assert.Contains(await GatewayEventsAsync(first), e => e.StartsWith(fetch, StringComparison.Ordinal) && e.EndsWith(", mirror miss", StringComparison.Ordinal));
        Assert.Contains(await GatewayEventsAsync(second), e => e.StartsWith(fetch, StringComparison.Ordinal) && e.EndsWith(", mirror hit", StringComparison.Ordinal));
        var mirror = Path.Combine(_server.Root, "cache", "cleanroom", "gateway-mirrors", "git.test_8080", "cgi-bin", "git", "org", "mirrored.git");
        Assert.Equal((await GitUpstream.Git(_git.BareRepository, "rev-parse", "main")).Stdout, (await GitUpstream.Git(mirror, "rev-parse", "main")).Stdout);
        Assert.Empty(HostFilesHolding(_git.Token));
    }

    [Fact]
    public async Task The_gateway_tells_a_sandbox_who_it_is_and_every_request_is_an_event()
    {
        var id = await CreateAsync(_allowed);

        var meta = await ExecAsync(id, "sh", "-c", "curl -sS -m 10 http://$CLEANROOM_GATEWAY/meta/");

        Assert.True(meta.ExitCode == 0, meta.ToString());
        using var json = JsonDocument.Parse(meta.Stdout);
        Assert.Equal(id, json.RootElement.GetProperty("sandbox_id").GetString());
        Assert.StartsWith("sha256:", json.RootElement.GetProperty("policy_hash").GetString());
        Assert.Contains(await GatewayEventsAsync(id), e => e.StartsWith("gateway meta GET: allow (ok), status 200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_sandbox_that_outlives_its_server_keeps_its_gateway()
    {
        var id = await CreateAsync(_allowed);

        await _server.KillAsync();
        var restarted = await _server.CleanroomAsync("serve", "--detach");
        Assert.True(restarted.ExitCode == 0, restarted.ToString());
        var meta = await ExecAsync(id, "sh", "-c", "curl -sS -m 10 http://$CLEANROOM_GATEWAY/meta/");
        var clone = await ExecAsync(id, "git", "clone", "-q", CloneUrl, "/root/repo");

        Assert.Contains($"\"sandbox_id\":\"{id}\"", meta.Stdout);
        Assert.True(clone.ExitCode == 0, clone.ToString());
    }

    [Fact]
    public async Task A_sandbox_whose_policy_does_not_allow_the_host_cannot_reach_it_through_the_gateway()
    {
        var id = await CreateAsync(_other);

        var clone = await ExecAsync(id, "sh", "-c", $"git clone -q http://$CLEANROOM_GATEWAY/git/git.test:{UpstreamNamespace.Port}{GitUpstream.RepositoryPath} /root/repo");
        var status = await CurlStatusAsync(id, $"/git/git.test:{UpstreamNamespace.Port}{GitUpstream.RepositoryPath}/info/refs?service=git-upload-pack");

        Assert.NotEqual(0, clone.ExitCode);
        Assert.Contains($"cleanroom: gateway git GET git.test:8080{GitUpstream.RepositoryPath}/info/refs: deny (host_not_allowed), status 403", clone.Stderr);
        Assert.Equal("403 host_not_allowed", status);
        Assert.Contains(await GatewayEventsAsync(id), e => e.StartsWith(
            $"gateway git GET git.test:8080{GitUpstream.RepositoryPath}/info/refs: deny (host_not_allowed), status 403", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_host_process_outside_any_sandbox_cannot_use_the_gateway()
    {
        var id = await CreateAsync(_allowed);
        var gateway = (await ExecAsync(id, "printenv", "CLEANROOM_GATEWAY")).Stdout.Trim();

        // From the host to the sandbox link's gateway address: the connection's source is a host address, so it is nobody.
        var fromHost = await Shell.RunAsync(["curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", $"http://{gateway}/meta/"]);
        // And the gateway port exists nowhere else on the host: not on loopback.
        var loopback = await Shell.RunAsync(["curl", "-sS", "-m", "5", $"http://127.0.0.1:{gateway.Split(':')[1]}/meta/"]);

        Assert.Equal("403", fromHost.Stdout);
        Assert.Equal(7, loopback.ExitCode); // curl: could not connect
    }

    [Fact]
    public async Task Sandbox_b_cannot_act_as_sandbox_a()
    {
        var a = await CreateAsync(_allowed);
        var b = await CreateAsync(_other);
        var gatewayOfA = (await ExecAsync(a, "printenv", "CLEANROOM_GATEWAY")).Stdout.Trim();

        // B's only way to the gateway is its own link's: A's listener is not reachable from B's link (the input rule).
        var toA = await ExecAsync(b, "curl", "-sS", "-m", "3", $"http://{gatewayOfA}/meta/");
        var own = await ExecAsync(b, "sh", "-c", "curl -sS -m 10 http://$CLEANROOM_GATEWAY/meta/");
        var cloneAsB = await ExecAsync(b, "sh", "-c", $"git clone -q http://$CLEANROOM_GATEWAY/git/git.test:{UpstreamNamespace.Port}{GitUpstream.RepositoryPath} /root/repo");

        Assert.NotEqual(0, toA.ExitCode);
        Assert.Contains($"\"sandbox_id\":\"{b}\"", own.Stdout);
        Assert.NotEqual(0, cloneAsB.ExitCode);
    }

    [Fact]
    public async Task Traversal_proxy_forms_host_confusion_and_header_injection_are_refused()
    {
        var id = await CreateAsync(_allowed);
        var repo = $"git.test:{UpstreamNamespace.Port}{GitUpstream.RepositoryPath}";

        Assert.Equal("400 gateway_path_unsafe", await CurlStatusAsync(id, "/git/../meta/"));
        Assert.Equal("400 gateway_path_unsafe", await CurlStatusAsync(id, $"/git/{repo}/%2e%2e/%2e%2e/info/refs?service=git-upload-pack"));
        Assert.Equal("400 gateway_path_unsafe", await CurlStatusAsync(id, $"/git/{repo.Replace("/org/", "/org%2f")}/info/refs?service=git-upload-pack"));
        Assert.Equal("400 gateway_path_unsafe", await CurlStatusAsync(id, $"/git//{repo}/info/refs?service=git-upload-pack"));
        // Absolute form naming the gateway itself reaches the route check; naming another host, Kestrel's parser already
        // refuses it (the Host header does not match the target's authority), before any route, without a code.
        Assert.Equal("400 gateway_target_refused", await CurlStatusAsync(id, "/meta/", "--request-target", "http://$CLEANROOM_GATEWAY/meta/"));
        Assert.StartsWith("400 ", await CurlStatusAsync(id, "/meta/", "--request-target", $"http://git.test:{UpstreamNamespace.Port}/meta/"));
        Assert.Equal("405 gateway_method_refused", await CurlStatusAsync(id, "/meta/", "-X", "CONNECT", "--request-target", "$CLEANROOM_GATEWAY"));
        Assert.StartsWith("400 ", await CurlStatusAsync(id, "/meta/", "-X", "CONNECT", "--request-target", "git.test:443"));
        Assert.Equal("421 gateway_host_mismatch", await CurlStatusAsync(id, "/meta/", "-H", "Host: git.test"));
        Assert.Equal("404 gateway_route_unknown", await CurlStatusAsync(id, $"/git/{repo}/HEAD"));
        // A header with a bare CR, sent raw (curl will not): refused before any route sees it.
        var raw = await ExecAsync(id, "bash", "-c",
            "exec 3<>/dev/tcp/${CLEANROOM_GATEWAY%:*}/${CLEANROOM_GATEWAY#*:}; printf 'GET /meta/ HTTP/1.1\\r\\nHost: %s\\r\\nX-Test: a\\rInjected: 1\\r\\nConnection: close\\r\\n\\r\\n' $CLEANROOM_GATEWAY >&3; head -1 <&3");
        Assert.StartsWith("HTTP/1.1 400", raw.Stdout);
    }

    private async Task<string> CreateAsync(string policyDirectory)
    {
        var created = await _server.CleanroomAsync("create", "--chdir", policyDirectory);
        Assert.True(created.ExitCode == 0, created.ToString());
        return created.Stdout.Trim();
    }

    private Task<ProgramResult> ExecAsync(string sandboxId, params string[] argv) =>
        _server.CleanroomAsync(["exec", "--in", sandboxId, "--", .. argv]);

    /// <summary>"STATUS CODE" of a request to the sandbox's own gateway (curl's extra arguments after the URL's path).</summary>
    private async Task<string> CurlStatusAsync(string sandboxId, string pathAndQuery, params string[] curlArguments)
    {
        var quoted = string.Join(' ', curlArguments.Select(a => $"\"{a}\""));
        var run = await ExecAsync(sandboxId, "sh", "-c",
            $"curl -sS -m 10 --path-as-is -D /tmp/h -o /tmp/b {quoted} \"http://$CLEANROOM_GATEWAY{pathAndQuery}\" >/dev/null; " +
            "printf '%s %s' \"$(head -1 /tmp/h | cut -d' ' -f2)\" \"$(grep -i '^x-cleanroom-error:' /tmp/h | cut -d' ' -f2 | tr -d '\\r')\"");
        return run.Stdout;
    }

    /// <summary>The guest's files holding <paramref name="needle"/>, found by grep in the guest with the needle on stdin (so never on a command line).</summary>
    private Task<ProgramResult> GuestFilesHoldingAsync(string sandboxId, string needle) =>
        Shell.RunAsync([Product.Cleanroom, "exec", "--in", sandboxId, "--", "grep", "-rlF", "-f", "/dev/stdin",
            "--exclude-dir=proc", "--exclude-dir=sys", "--exclude-dir=dev", "/"], _server.Environment, TimeSpan.FromMinutes(4), needle + "\n");

    /// <summary>Files of the server (log, state database, audit log, run directories, repository mirrors) holding the needle.</summary>
    private List<string> HostFilesHolding(string needle)
    {
        var bytes = Encoding.UTF8.GetBytes(needle);
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

    /// <summary>The messages of the sandbox's <c>gateway.request</c> events, as <c>sandbox events --json</c> gives them.</summary>
    private async Task<List<string>> GatewayEventsAsync(string sandboxId)
    {
        var events = await _server.CleanroomAsync("sandbox", "events", sandboxId, "--json");
        Assert.True(events.ExitCode == 0, events.ToString());
        var list = new List<string>();
        foreach (var line in events.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("type", out var type) && type.GetString() == "gateway.request")
                list.Add(doc.RootElement.GetProperty("message").GetString()!);
        }

        return list;
    }
}
