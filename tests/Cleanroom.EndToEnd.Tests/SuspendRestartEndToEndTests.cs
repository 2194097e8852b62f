using System.Diagnostics;
using System.Text.Json;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Suspended sandboxes outlive their server (issue 20 point 5): after a graceful stop and after <c>kill -9</c>, a
/// restarted server still holds a SUSPENDED sandbox SUSPENDED (no process of it, its checkpoint and network namespace
/// kept), and the next command wakes it with its file, its counter going on from where it was, and its egress rules
/// (the allowed upstream answers, anything else is blocked). The only hosts aimed at are the test's own upstream namespace.
/// </summary>
public sealed class SuspendRestartEndToEndTests : IAsyncLifetime
{
    private const string Counter = "echo kept > /root/file; sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done' > /dev/null 2>&1 &";

    // Waits in the sandbox until the counter moves past its value now, then prints both (no waiting on the host).
    private const string CounterMoves = "a=$(cat /tmp/count); while [ \"$(cat /tmp/count)\" -le \"$a\" ]; do sleep 0.05; done; echo $a $(cat /tmp/count)";

    private UpstreamNamespace _upstream = null!;
    private RealServer _server = null!;
    private string _repo = null!;

    public async Task InitializeAsync()
    {
        _upstream = await UpstreamNamespace.StartAsync("hello from upstream\n");
        _server = await RealServer.StartAsync($"  dns:\n    hosts:\n      upstream.test: {UpstreamNamespace.Address}\n",
            configYaml: "backends:\n  gvisor:\n    network_stack: sandbox\n");
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
    public async Task A_suspended_sandbox_stays_suspended_across_a_graceful_stop_and_a_kill_9_and_wakes_with_its_state_and_rules()
    {
        var id = Ok(await _server.CleanroomAsync("create", "--chdir", _repo)).Stdout.Trim();
        Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", Counter));
        var counted = Values(Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", CounterMoves)).Stdout)[1];

        foreach (var restart in new Func<Task>[] { StopGracefullyAsync, _server.KillAsync })
        {
            Ok(await _server.CleanroomAsync("sandbox", "suspend", id));
            await restart();
            Ok(await _server.CleanroomAsync("serve", "--detach"));

            Assert.Equal("SANDBOX_STATUS_SUSPENDED", await StatusAsync(id));
            Assert.Empty(SandboxProcesses.Of(id));
            Assert.Contains(id, (await Shell.CheckAsync("ip", "netns", "list")));

            Assert.Equal("kept\n", Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "cat", "/root/file")).Stdout);
            Assert.Equal("SANDBOX_STATUS_READY", await StatusAsync(id));
            var moved = Values(Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", CounterMoves)).Stdout);
            Assert.True(moved[0] >= counted, $"the counter went on from {counted}; it did not start again ({moved[0]})");
            counted = moved[1];

            var allowed = await _server.CleanroomAsync("exec", "--in", id, "--", "curl", "-sS", "-m", "10", $"http://upstream.test:{UpstreamNamespace.Port}/hello.txt");
            Assert.True(allowed.ExitCode == 0 && allowed.Stdout == "hello from upstream\n", allowed.ToString());
            var denied = await _server.CleanroomAsync("exec", "--in", id, "--", "curl", "-sS", "-m", "3", $"http://{UpstreamNamespace.Address}:9090/");
            Assert.NotEqual(0, denied.ExitCode);
        }

        Ok(await _server.CleanroomAsync("sandbox", "rm", id));
        Assert.Empty(SandboxProcesses.Of(id));
        Assert.DoesNotContain(id, await Shell.CheckAsync("ip", "netns", "list"));
    }

    private async Task StopGracefullyAsync()
    {
        foreach (var process in _server.ServerProcesses())
        {
            await Shell.CheckAsync("kill", "-TERM", process.Id.ToString());
            await process.WaitForExitAsync();
        }
    }

    private async Task<string> StatusAsync(string id)
    {
        using var doc = JsonDocument.Parse(Ok(await _server.CleanroomAsync("sandbox", "inspect", id, "--json")).Stdout);
        return doc.RootElement.GetProperty("status").GetString()!;
    }

    private static ProgramResult Ok(ProgramResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static long[] Values(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
}
