using System.Diagnostics;
using System.Text.Json;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Sandboxes outlive their server: after <c>kill -9</c> of the server (or a graceful stop) and a restart, every READY
/// sandbox whose processes still run is READY again, with its files, its network and its egress rules; what was
/// executing when the server died is recorded as interrupted and was stopped. The only hosts aimed at are the
/// test's own upstream namespace.
/// </summary>
public sealed class RestartEndToEndTests : IAsyncLifetime
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

    [Theory]
    [InlineData("gvisor")]
    [InlineData("qemu")]
    public async Task After_kill_9_and_a_restart_ready_sandboxes_are_ready_again_with_their_files_network_and_egress_rules(string backend)
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add(await CreateAsync(backend));
        await CheckAsync("exec", "--in", ids[0], "--", "sh", "-c", "echo survived > /tmp/file");
        using var running = StartCli("exec", "--in", ids[1], "--", "sh", "-c", "echo started; exec sleep 600");
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            Assert.Equal("started", await running.StandardOutput.ReadLineAsync(deadline.Token));

        await _server.KillAsync();
        await running.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)); // its server is gone
        var restarted = await _server.CleanroomAsync("serve", "--detach");
        Assert.True(restarted.ExitCode == 0, restarted.ToString());
        // The newest execution is the one that was running: interrupted, and its process stopped.
        var interrupted = await CheckAsync("execution", "inspect", "--last", "--json");
        Assert.Contains("EXECUTION_STATUS_FAILED", interrupted);
        Assert.Contains("its process was stopped", interrupted);

        foreach (var id in ids)
        {
            if (await StatusAsync(id) != "SANDBOX_STATUS_READY")
                Assert.Fail($"{backend} sandbox {ids.IndexOf(id)} is not READY after the restart: {await CheckAsync("sandbox", "inspect", id)}\nserver log: {ServerLog()}");
            Assert.Equal("ok\n", await CheckAsync("exec", "--in", id, "--", "echo", "ok"));
            var allowed = await _server.CleanroomAsync("exec", "--in", id, "--", "curl", "-sS", "-m", "10", $"http://upstream.test:{UpstreamNamespace.Port}/hello.txt");
            Assert.True(allowed.ExitCode == 0 && allowed.Stdout == "hello from upstream\n", allowed.ToString());
            var denied = await _server.CleanroomAsync("exec", "--in", id, "--", "curl", "-sS", "-m", "3", $"http://{UpstreamNamespace.Address}:9090/");
            Assert.NotEqual(0, denied.ExitCode);
            // Named by the address's known host name when the policy resolver has one.
            Assert.True(denied.Stderr.Contains($"blocked egress to upstream.test:9090/tcp ({UpstreamNamespace.Address}, host_not_allowed)", StringComparison.Ordinal),
                $"sandbox {ids.IndexOf(id)}: {denied}\nevents: {(await _server.CleanroomAsync("sandbox", "events", id)).Stdout}");
        }
        Assert.Equal("survived\n", await CheckAsync("exec", "--in", ids[0], "--", "cat", "/tmp/file"));
        Assert.Equal("0\n", await CheckAsync("exec", "--in", ids[1], "--", "sh", "-c", "ps -o comm | grep -c '^sleep$' || true"));

        foreach (var id in ids)
            await CheckAsync("sandbox", "rm", id);
        await AssertNothingLeftAsync(ids);
    }

    [Fact]
    public async Task A_sandbox_whose_processes_died_with_the_server_is_failed_lost_and_leaves_nothing()
    {
        var id = await CreateAsync();

        await _server.KillAsync();
        await Shell.CheckAsync("runsc", $"--root={_server.RunscRoot}", "kill", "--all", "cleanroom-" + id, "KILL");
        var restarted = await _server.CleanroomAsync("serve", "--detach");
        Assert.True(restarted.ExitCode == 0, restarted.ToString());

        Assert.Equal("SANDBOX_STATUS_FAILED", await StatusAsync(id));
        var inspect = await _server.CleanroomAsync("sandbox", "inspect", id, "--json");
        Assert.Contains("lost", inspect.Stdout);
        await AssertNothingLeftAsync([id]);
    }

    [Fact]
    public async Task A_graceful_stop_leaves_ready_sandboxes_for_the_next_start()
    {
        var id = await CreateAsync();
        await CheckAsync("exec", "--in", id, "--", "sh", "-c", "echo kept > /tmp/file");

        foreach (var process in _server.ServerProcesses())
        {
            await Shell.CheckAsync("kill", "-TERM", process.Id.ToString());
            await process.WaitForExitAsync();
        }
        Assert.Contains("cleanroom-" + id, await Shell.CheckAsync("runsc", $"--root={_server.RunscRoot}", "list"));
        var restarted = await _server.CleanroomAsync("serve", "--detach");
        Assert.True(restarted.ExitCode == 0, restarted.ToString());

        Assert.Equal("SANDBOX_STATUS_READY", await StatusAsync(id));
        Assert.Equal("kept\n", await CheckAsync("exec", "--in", id, "--", "cat", "/tmp/file"));
        await CheckAsync("sandbox", "rm", id);
        await AssertNothingLeftAsync([id]);
    }

    private string ServerLog()
    {
        var logs = Directory.EnumerateFiles(_server.Root, "server.log", SearchOption.AllDirectories);
        return string.Join("\n", logs.Select(f => $"== {f}\n{string.Join("\n", File.ReadLines(f).TakeLast(40))}"));
    }

    private async Task<string> CreateAsync(string backend = "gvisor")
    {
        var created = await _server.CleanroomAsync("create", "--chdir", _repo, "--backend", backend);
        Assert.True(created.ExitCode == 0, created.ToString());
        return created.Stdout.Trim();
    }

    private async Task<string> CheckAsync(params string[] args)
    {
        var result = await _server.CleanroomAsync(args);
        Assert.True(result.ExitCode == 0, $"cleanroom {string.Join(' ', args)}: {result}");
        return result.Stdout;
    }

    private async Task<string> StatusAsync(string id)
    {
        using var doc = JsonDocument.Parse(await CheckAsync("sandbox", "inspect", id, "--json"));
        return doc.RootElement.GetProperty("status").GetString()!;
    }

    private Process StartCli(params string[] args)
    {
        var start = new ProcessStartInfo(Product.Cleanroom) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in _server.Environment)
            start.Environment[name] = value;
        return Process.Start(start)!;
    }

    /// <summary>No container, namespace, runsc or QEMU process of these sandboxes is left.</summary>
    private async Task AssertNothingLeftAsync(IEnumerable<string> ids)
    {
        var containers = await Shell.CheckAsync("runsc", $"--root={_server.RunscRoot}", "list");
        var namespaces = await Shell.CheckAsync("ip", "netns", "list");
        foreach (var id in ids)
        {
            Assert.DoesNotContain(id, containers);
            Assert.DoesNotContain(id, namespaces);
            Assert.DoesNotContain(Process.GetProcesses(), p => CommandLine(p.Id).Contains(id, StringComparison.Ordinal));
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return "";
        }
    }
}
