using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cleanroom.Api.Addressing;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server.Tests;

/// <summary>
/// The audit log as an operator reads it: who did what to which sandbox with which policy hash and allow-all, and how
/// it ended, for gRPC (the CLI) and Connect calls alike, refusals included; reads are not logged and no command or
/// token text ever is.
/// </summary>
public sealed class AuditLogTests : IAsyncLifetime
{
    private ServerUnderTest _server = null!;
    private string _http = null!;
    private string AuditFile => Path.Combine(_server.Root, "state", "audit", "api.jsonl");

    public async Task InitializeAsync()
    {
        _server = await ServerUnderTest.StartAsync(null, null, (root, configuration) =>
        {
            var tokens = new[] { "alice", "bob" }.Select(name =>
            {
                var file = Path.Combine(root, name + ".token");
                File.WriteAllText(file, $"{name}-token-0123456789abcdef");
                return new AuthToken(file, name);
            }).ToArray();
            return configuration with
            {
                Listen = ["http://127.0.0.1:0"],
                Auth = AuthSettings.Defaults with { Required = true, Tokens = [.. tokens] },
            };
        });
        _http = _server.Server.BoundAddresses.OfType<HttpApiAddress>().Single().ToString();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<CliResult> As(string principal, params string[] args)
    {
        var split = Array.IndexOf(args, "--") is var i and >= 0 ? i : args.Length;
        return _server.RunCliAsync([.. args[..split], "--host", _http, "--token-file", Path.Combine(_server.Root, principal + ".token"), .. args[split..]]);
    }

    private async Task<List<JsonElement>> EntriesAsync() =>
        (await File.ReadAllLinesAsync(AuditFile)).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();

    [Fact]
    public async Task Changes_and_refusals_are_logged_with_who_what_and_outcome_and_reads_are_not()
    {
        var created = await As("alice", "create");
        Assert.True(created.ExitCode == 0, created.Error);
        var id = created.Out.Trim();
        var policyHash = (await _server.Server.Control.GetSandboxAsync(id, CancellationToken.None)).Policy.Hash;
        Assert.Equal(0, (await As("alice", "exec", "--in", id, "--", "echo", "do-not-log-this-command")).ExitCode);
        await As("alice", "sandbox", "inspect", id);
        Assert.NotEqual(0, (await As("bob", "sandbox", "rm", id)).ExitCode);
        using (var connect = new HttpClient())
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"{_http}/cleanroom.v1.SandboxService/TerminateSandbox")
            {
                Content = new StringContent($"{{\"sandboxId\":\"{id}\"}}", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "wrong-token-0123456789abcdef");
            Assert.Equal(401, (int)(await connect.SendAsync(request)).StatusCode);
            var terminate = new HttpRequestMessage(HttpMethod.Post, $"{_http}/cleanroom.v1.SandboxService/TerminateSandbox")
            {
                Content = new StringContent($"{{\"sandboxId\":\"{id}\"}}", Encoding.UTF8, "application/json"),
            };
            terminate.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "alice-token-0123456789abcdef");
            Assert.True((await connect.SendAsync(terminate)).IsSuccessStatusCode);
        }

        var entries = await EntriesAsync();
        var text = await File.ReadAllTextAsync(AuditFile);

        var create = Assert.Single(entries, e => e.GetProperty("verb").GetString() == "SandboxService/CreateSandbox");
        Assert.Equal("alice", create.GetProperty("principal").GetString());
        Assert.Equal("token", create.GetProperty("method").GetString());
        Assert.Equal(id, create.GetProperty("sandbox_id").GetString());
        Assert.Equal(policyHash, create.GetProperty("policy_hash").GetString());
        Assert.False(create.GetProperty("allow_all").GetBoolean());
        Assert.Equal("ok", create.GetProperty("outcome").GetString());
        var exec = Assert.Single(entries, e => e.GetProperty("verb").GetString() == "ExecutionService/CreateExecution"
            || e.GetProperty("verb").GetString() == "ExecutionService/AttachExecution");
        Assert.Equal(id, exec.GetProperty("sandbox_id").GetString());
        Assert.Contains(entries, e => e.GetProperty("principal").GetString() == "bob"
            && e.GetProperty("verb").GetString() == "SandboxService/TerminateSandbox" && e.GetProperty("outcome").GetString() == "not_found");
        Assert.Contains(entries, e => e.GetProperty("principal").GetString() == ""
            && e.GetProperty("verb").GetString() == "SandboxService/TerminateSandbox" && e.GetProperty("outcome").GetString() == "unauthenticated");
        Assert.Contains(entries, e => e.GetProperty("principal").GetString() == "alice"
            && e.GetProperty("verb").GetString() == "SandboxService/TerminateSandbox" && e.GetProperty("outcome").GetString() == "ok");
        Assert.DoesNotContain(entries, e => e.GetProperty("verb").GetString()!.Contains("/Get"));
        Assert.DoesNotContain("do-not-log-this-command", text);
        Assert.DoesNotContain("token-0123456789abcdef", text);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(AuditFile));
    }
}
