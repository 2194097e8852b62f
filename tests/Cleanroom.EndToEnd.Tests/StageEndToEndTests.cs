using System.Text.Json;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// A policy's setup stages through the whole product: a dependency block that fetches from a host only the
/// dependencies stage allows, executions that then cannot reach it (blocked, reported with the execution stage and
/// the execution's id), <c>run.before</c> before each execution, and a failing block that fails the sandbox with its
/// code and output. The only host aimed at is the test's own upstream namespace.
/// </summary>
public sealed class StageEndToEndTests(UpstreamAndServer world) : SharedServerTests(world.Server), IClassFixture<UpstreamAndServer>
{
    private readonly RealServer _server = world.Server;
    private readonly string _repo = Directory.CreateDirectory(Path.Combine(world.Server.Root, "repo")).FullName;

    [Theory]
    [InlineData("gvisor")]
    [InlineData("qemu")]
    public async Task A_dependency_block_reaches_what_its_stage_allows_and_executions_do_not(string backend)
    {
        await WritePolicyAsync(
            "  network:\n    dependencies:\n      allow:\n        - upstream.test:" + UpstreamNamespace.Port + "\n"
            + "  dependencies:\n    - name: fetch\n"
            + $"      command: curl -sS -m 10 -o /tmp/fetched.txt http://upstream.test:{UpstreamNamespace.Port}/hello.txt\n"
            + "  run:\n    before: echo ran >> /tmp/before.txt\n");

        var created = await _server.CleanroomAsync("create", "--chdir", _repo, "--backend", backend);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("dependencies block 'fetch' succeeded", created.Stderr);
        var sandboxId = created.Stdout.Trim();

        var fetched = await _server.CleanroomAsync("exec", "--in", sandboxId, "--", "cat", "/tmp/fetched.txt");
        Assert.True(fetched.ExitCode == 0, fetched.ToString());
        Assert.Equal("hello from upstream\n", fetched.Stdout);

        var denied = await _server.CleanroomAsync("exec", "--in", sandboxId, "--", "curl", "-sS", "-m", "3",
            $"http://{UpstreamNamespace.Address}:{UpstreamNamespace.Port}/hello.txt");
        Assert.NotEqual(0, denied.ExitCode);
        // Named by the answer the dependencies stage got for it.
        Assert.Contains($"blocked egress to upstream.test:{UpstreamNamespace.Port}/tcp ({UpstreamNamespace.Address}, host_not_allowed)", denied.Stderr);

        // run.before ran once before each execution, this one included (and not at create).
        var before = await _server.CleanroomAsync("exec", "--in", sandboxId, "--", "cat", "/tmp/before.txt");
        Assert.Equal("ran\nran\nran\n", before.Stdout);

        var events = await _server.CleanroomAsync("sandbox", "events", sandboxId, "--json");
        Assert.True(events.ExitCode == 0, events.ToString());
        var blocked = events.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.TryGetProperty("blocked_connection", out var b) && b.ValueKind == JsonValueKind.Object)
            .Select(e => e.GetProperty("blocked_connection"))
            .ToList();
        var report = Assert.Single(blocked, b => b.GetProperty("address").GetString() == UpstreamNamespace.Address);
        Assert.Equal("execution", report.GetProperty("stage").GetString());
        Assert.StartsWith("ex-", report.GetProperty("execution_id").GetString());
    }

    [Fact]
    public async Task A_failing_block_fails_the_sandbox_with_its_code_and_output_and_a_failing_run_before_fails_the_execution()
    {
        await WritePolicyAsync("  dependencies:\n    - name: broken\n      command: echo lockfile is missing >&2; exit 3\n");
        var failed = await _server.CleanroomAsync("create", "--chdir", _repo);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("dependency_failed", failed.Stderr);
        Assert.Contains("lockfile is missing", failed.Stderr);

        await WritePolicyAsync("  run:\n    before: echo not today >&2; exit 4\n");
        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", _repo, "--", "echo", "never");
        Assert.NotEqual(0, run.ExitCode);
        Assert.DoesNotContain("never", run.Stdout);
        Assert.Contains("not today", run.Stderr);
        Assert.Contains("run_before_failed", run.Stderr);
    }

    [Fact]
    public async Task In_a_checkout_the_blocks_run_in_the_repository_which_is_in_place_before_them()
    {
        var checkout = Directory.CreateDirectory(Path.Combine(_server.Root, "checkout")).FullName;
        await File.WriteAllTextAsync(Path.Combine(checkout, "cleanroom.yaml"),
            $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n"
            + "  dependencies:\n    - name: install\n      command: cp lockfile installed.txt\n");
        await File.WriteAllTextAsync(Path.Combine(checkout, "lockfile"), "pinned 1.2.3\n");
        await Shell.CheckAsync("git", "-C", checkout, "init", "-q");
        await Shell.CheckAsync("git", "-C", checkout, "add", ".");
        await Shell.CheckAsync("git", "-C", checkout, "-c", "user.email=e2e@example.invalid", "-c", "user.name=e2e", "commit", "-q", "-m", "lockfile");

        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", checkout, "--", "cat", "installed.txt");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("pinned 1.2.3\n", run.Stdout);
        Assert.Contains("repository stage: waiting for the workspace", run.Stderr);
        Assert.Contains("dependencies block 'install' succeeded", run.Stderr);
    }

    private Task WritePolicyAsync(string sandboxYaml) =>
        File.WriteAllTextAsync(Path.Combine(_repo, "cleanroom.yaml"),
            $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n" + sandboxYaml);
}
