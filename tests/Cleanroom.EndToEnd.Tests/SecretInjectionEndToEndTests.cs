using System.Text;
using System.Text.Json;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Secret injection through the whole product: a guest's curl sends <c>$CLEANROOM_SECRET_API_TOKEN</c> (a placeholder)
/// to <c>http://$CLEANROOM_GATEWAY/secrets/api.test/...</c>; the gateway makes the request over TLS to the test's own
/// API host (HeaderCheckingUpstream.Address, named through <c>network.dns.hosts</c>, its certificate from a test CA trusted through
/// <c>gateway.upstream_ca_file</c>), which answers 200 only to the real header. The same placeholder for another
/// allowed host is refused with <c>secret_scope_violation</c> and never forwarded; the value exists only in a file on
/// the host and is found nowhere in the guest, the events or the server's files.
/// </summary>
public sealed class SecretInjectionEndToEndTests : IAsyncLifetime
{
    private readonly string _apiToken = "api-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    private readonly string _plainKey = "key-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    private HeaderCheckingUpstream _api = null!;
    private RealServer _server = null!;
    private string _values = null!;
    private string _bound = null!;

    public async Task InitializeAsync()
    {
        _api = await HeaderCheckingUpstream.StartAsync(("Authorization", $"Bearer {_apiToken}"), ("X-Api-Key", _plainKey));
        _values = Directory.CreateTempSubdirectory("cleanroom-e2e-secret-").FullName;
        await File.WriteAllTextAsync(Path.Combine(_values, "api.token"), _apiToken + "\n");
        await File.WriteAllTextAsync(Path.Combine(_values, "plain.key"), _plainKey);
        _server = await RealServer.StartAsync(
            $"  dns:\n    hosts:\n      api.test: {HeaderCheckingUpstream.Address}\n      other.test: {HeaderCheckingUpstream.Address}\n",
            $"gateway:\n  upstream_ca_file: {_api.CaFile}\n" +
            $"secrets:\n  api_token: {{file: {Path.Combine(_values, "api.token")}}}\n  plain_key: {{file: {Path.Combine(_values, "plain.key")}}}\n");
        _bound = await PolicyDirectoryAsync("bound", """
            secrets:
              - id: api_token
                hosts: ["api.test:443"]
              - id: plain_key
                hosts: ["api.test:8080"]
                header: X-Api-Key
                format: "{value}"
            """);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _api.DisposeAsync();
        Directory.Delete(_values, recursive: true);
    }

    [Fact]
    public async Task A_placeholder_arrives_upstream_as_the_real_header_and_is_refused_for_any_other_host()
    {
        var id = await CreateAsync(_bound);

        var withoutSecret = await CurlAsync(id, "/secrets/api.test/v1/me");
        var injected = await CurlAsync(id, "/secrets/api.test/v1/me", "-H", "Authorization: $CLEANROOM_SECRET_API_TOKEN");
        var injectedInForm = await CurlAsync(id, "/secrets/api.test/v1/again", "-H", "Authorization: Bearer $CLEANROOM_SECRET_API_TOKEN");
        var plain = await CurlAsync(id, "/secrets/api.test:8080/plain", "-H", "X-Api-Key: $CLEANROOM_SECRET_PLAIN_KEY");
        var otherHost = await CurlAsync(id, "/secrets/other.test/v1/me", "-H", "Authorization: $CLEANROOM_SECRET_API_TOKEN");
        var wrongPort = await CurlAsync(id, "/secrets/api.test:8080/plain", "-H", "Authorization: $CLEANROOM_SECRET_API_TOKEN");
        var wrongHeader = await CurlAsync(id, "/secrets/api.test/v1/me", "-H", "X-Echo: $CLEANROOM_SECRET_API_TOKEN");
        var notAllowed = await CurlAsync(id, "/secrets/nowhere.test/v1/me", "-H", "Authorization: $CLEANROOM_SECRET_API_TOKEN");
        var traversal = await CurlAsync(id, "/secrets/api.test/%2e%2e/%2e%2e/meta/", "-H", "Authorization: $CLEANROOM_SECRET_API_TOKEN");
        var dotDot = await CurlAsync(id, "/secrets/../git/api.test/v1/me");
        var trace = await CurlAsync(id, "/secrets/api.test/v1/me", "-X", "TRACE", "-H", "Authorization: $CLEANROOM_SECRET_API_TOKEN");

        Assert.Equal("401 ", withoutSecret.Status); // the API really wants its token
        Assert.Equal(("200 ", "authorized /v1/me\n"), (injected.Status, injected.Body));
        Assert.Equal(("200 ", "authorized /v1/again\n"), (injectedInForm.Status, injectedInForm.Body));
        Assert.Equal(("200 ", "authorized /plain\n"), (plain.Status, plain.Body)); // plain HTTP for a port other than 443
        Assert.Equal("403 secret_scope_violation", otherHost.Status);
        Assert.Contains("not bound to other.test:443", otherHost.Body);
        Assert.Equal("403 secret_scope_violation", wrongPort.Status);
        Assert.Equal("403 secret_scope_violation", wrongHeader.Status);
        Assert.Equal("403 host_not_allowed", notAllowed.Status);
        Assert.Equal("400 gateway_path_unsafe", traversal.Status);
        Assert.Equal("400 gateway_path_unsafe", dotDot.Status);
        Assert.Equal("405 gateway_method_refused", trace.Status); // TRACE would echo the injected header back
        Assert.DoesNotContain(_api.Requests, r => r.Host.StartsWith("other.test", StringComparison.Ordinal) || r.Host.StartsWith("nowhere.test", StringComparison.Ordinal));
        Assert.Equal(4, _api.Requests.Count); // nothing refused was forwarded
        // The API echoed the Authorization header it got; the gateway dropped that header on the way back.
        Assert.DoesNotContain(_apiToken, injected.Headers);
        Assert.DoesNotContain("x-echo-authorization", injected.Headers.ToLowerInvariant());

        var events = await GatewayEventsAsync(id);
        Assert.Contains(events, e => e.StartsWith("gateway secrets GET api.test:443/v1/me: allow (ok), status 200", StringComparison.Ordinal));
        Assert.Contains(events, e => e.StartsWith("gateway secrets GET other.test:443/v1/me: deny (secret_scope_violation), status 403", StringComparison.Ordinal));
        Assert.Contains(events, e => e.StartsWith("gateway secrets GET nowhere.test:443/v1/me: deny (host_not_allowed), status 403", StringComparison.Ordinal));
        var audit = await File.ReadAllTextAsync(Path.Combine(_server.Root, "state", "cleanroom", "audit", "egress.jsonl"));
        Assert.Contains("\"service\":\"secrets\"", audit);
        Assert.Contains("\"credential\":true", audit);

        // Where the value must not be: the guest's processes and files, the sandbox's events, the server's files.
        var processes = await ExecAsync(id, "sh", "-c", "for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < $f; done");
        Assert.Matches("CLEANROOM_SECRET_API_TOKEN=cleanroom-secret-api_token-[0-9a-f]{32}\n", processes.Stdout);
        Assert.Matches("CLEANROOM_SECRET_PLAIN_KEY=cleanroom-secret-plain_key-[0-9a-f]{32}\n", processes.Stdout);
        foreach (var value in new[] { _apiToken, _plainKey })
        {
            Assert.DoesNotContain(value, processes.Stdout);
            var files = await GuestFilesHoldingAsync(id, value);
            Assert.True(files.ExitCode == 1 && files.Stdout.Length == 0, $"a secret value is in guest files: {files}");
            var allEvents = await _server.CleanroomAsync("sandbox", "events", id, "--json");
            Assert.DoesNotContain(value, allEvents.Stdout);
            Assert.Empty(HostFilesHolding(value));
        }

        Assert.NotEmpty(HostFilesHolding(id)); // the search reads the server's log, state and audit log
    }

    [Fact]
    public async Task A_policy_binding_a_secret_the_server_does_not_hold_is_refused_at_create()
    {
        var unknown = await PolicyDirectoryAsync("unknown", "secrets:\n  - id: not_configured\n    hosts: [\"api.test:443\"]\n");

        var created = await _server.CleanroomAsync("create", "--chdir", unknown);

        Assert.NotEqual(0, created.ExitCode);
        Assert.Contains("secret_unavailable", created.Stderr);
        Assert.Contains("not_configured", created.Stderr);
        Assert.DoesNotContain(_apiToken, created.Stderr);
        var listed = await _server.CleanroomAsync("sandbox", "ls");
        Assert.DoesNotContain("READY", listed.Stdout);
    }

    private async Task<string> PolicyDirectoryAsync(string name, string secrets)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_server.Root, name)).FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "cleanroom.yaml"),
            $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n  network:\n    allow:\n      - api.test:443\n      - api.test:{HeaderCheckingUpstream.PlainPort}\n      - other.test:443\n{secrets}");
        return directory;
    }

    private async Task<string> CreateAsync(string policyDirectory)
    {
        var created = await _server.CleanroomAsync("create", "--chdir", policyDirectory);
        Assert.True(created.ExitCode == 0, created.ToString());
        return created.Stdout.Trim();
    }

    private Task<ProgramResult> ExecAsync(string sandboxId, params string[] argv) =>
        _server.CleanroomAsync(["exec", "--in", sandboxId, "--", .. argv]);

    /// <summary>
    /// A request from the guest to its gateway with curl (extra arguments in double quotes, so <c>$CLEANROOM_SECRET_*</c>
    /// expands in the guest's shell): "STATUS CODE" (the gateway's <c>X-Cleanroom-Error</c>), the body and the headers.
    /// </summary>
    private async Task<(string Status, string Body, string Headers)> CurlAsync(string sandboxId, string pathAndQuery, params string[] curlArguments)
    {
        var quoted = string.Join(' ', curlArguments.Select(a => $"\"{a}\""));
        var run = await ExecAsync(sandboxId, "sh", "-c",
            $"curl -sS -m 20 --path-as-is -D /tmp/h -o /tmp/b {quoted} \"http://$CLEANROOM_GATEWAY{pathAndQuery}\" >/dev/null; " +
            "printf '%s %s\\n' \"$(head -1 /tmp/h | cut -d' ' -f2)\" \"$(grep -i '^x-cleanroom-error:' /tmp/h | cut -d' ' -f2 | tr -d '\\r')\"; " +
            "echo ---; cat /tmp/h; echo ---; cat /tmp/b");
        var parts = run.Stdout.Split("---\n");
        Assert.True(parts.Length == 3, run.ToString());
        return (parts[0].TrimEnd('\n'), parts[2], parts[1]);
    }

    /// <summary>The guest's files holding <paramref name="needle"/>, found by grep in the guest with the needle on stdin (so never on a command line).</summary>
    private Task<ProgramResult> GuestFilesHoldingAsync(string sandboxId, string needle) =>
        Shell.RunAsync([Product.Cleanroom, "exec", "--in", sandboxId, "--", "grep", "-rlF", "-f", "/dev/stdin",
            "--exclude-dir=proc", "--exclude-dir=sys", "--exclude-dir=dev", "/"], _server.Environment, TimeSpan.FromMinutes(4), needle + "\n");

    /// <summary>Files of the server (log, state database, audit log, run directories, config) holding the needle.</summary>
    private List<string> HostFilesHolding(string needle)
    {
        var bytes = Encoding.UTF8.GetBytes(needle);
        var found = new List<string>();
        foreach (var top in new[] { "state", "run", "config" })
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
