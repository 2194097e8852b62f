using System.Text.Json;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// <c>cleanroom snapshot</c> and <c>--from SNAPSHOT</c> through the whole product on gVisor (its own network stack,
/// which runsc can checkpoint): two sandboxes from one snapshot each have its file and its counter running on and are
/// independent, each on its own network with the policy's egress (the allowed upstream answers, anything else is
/// blocked); the source sandbox is READY again; the snapshot survives a restart; a policy with another hash is
/// refused with snapshot_policy_mismatch; a corrupted snapshot fails with snapshot_corrupt and harms nothing else.
/// </summary>
public sealed class SnapshotEndToEndTests : IAsyncLifetime
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
    public async Task Sandboxes_from_a_snapshot_have_its_state_only_under_its_policy_and_a_corrupted_one_fails_cleanly()
    {
        var source = await CreateAsync();
        Ok(await _server.CleanroomAsync("exec", "--in", source, "--", "sh", "-c", Counter));
        var counted = Values(Ok(await _server.CleanroomAsync("exec", "--in", source, "--", "sh", "-c", CounterMoves)).Stdout)[1];

        var snapshot = Ok(await _server.CleanroomAsync("snapshot", "create", source, "--name", "counting")).Stdout.Trim();

        Assert.StartsWith("snap-", snapshot);
        Assert.Equal("SANDBOX_STATUS_READY", await StatusAsync(source));
        Assert.Contains("counting", Ok(await _server.CleanroomAsync("snapshot", "ls")).Stdout);
        var first = await CreateAsync("--from", snapshot);
        var second = await CreateAsync("--from", snapshot);
        Assert.NotEqual(first, second);
        foreach (var id in new[] { first, second })
        {
            Assert.Equal("kept\n", Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "cat", "/root/file")).Stdout);
            var moved = Values(Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", CounterMoves)).Stdout);
            Assert.True(moved[0] >= counted, $"the counter went on from {counted}; it did not start again ({moved[0]})");
            var allowed = await _server.CleanroomAsync("exec", "--in", id, "--", "curl", "-sS", "-m", "10", $"http://upstream.test:{UpstreamNamespace.Port}/hello.txt");
            Assert.True(allowed.ExitCode == 0 && allowed.Stdout == "hello from upstream\n", allowed.ToString());
            var denied = await _server.CleanroomAsync("exec", "--in", id, "--", "curl", "-sS", "-m", "3", $"http://{UpstreamNamespace.Address}:9090/");
            Assert.NotEqual(0, denied.ExitCode);
        }
        Ok(await _server.CleanroomAsync("exec", "--in", first, "--", "sh", "-c", "echo first > /root/own"));
        Assert.NotEqual(0, (await _server.CleanroomAsync("exec", "--in", second, "--", "cat", "/root/own")).ExitCode);
        Assert.Equal("kept\n", Ok(await _server.CleanroomAsync("exec", "--from", snapshot, "--chdir", _repo, "--rm", "--", "cat", "/root/file")).Stdout);

        // Another policy (another hash; here one that allows nothing) is refused: a snapshot starts sandboxes only under its own.
        var other = Directory.CreateDirectory(Path.Combine(_server.Root, "other")).FullName;
        await File.WriteAllTextAsync(Path.Combine(other, "cleanroom.yaml"), $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n");
        var refused = await _server.CleanroomAsync("create", "--chdir", other, "--from", snapshot);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("snapshot_policy_mismatch", refused.Stderr);
        var unknown = await _server.CleanroomAsync("create", "--chdir", _repo, "--from", "snap-000000000000000000000000");
        Assert.Contains("not_found", unknown.Stderr);

        // Kept across a restart.
        foreach (var process in _server.ServerProcesses())
        {
            await Shell.CheckAsync("kill", "-TERM", process.Id.ToString());
            await process.WaitForExitAsync();
        }
        Ok(await _server.CleanroomAsync("serve", "--detach"));
        using (var inspect = JsonDocument.Parse(Ok(await _server.CleanroomAsync("snapshot", "inspect", snapshot)).Stdout))
            Assert.Equal(source, inspect.RootElement.GetProperty("source_sandbox_id").GetString());
        Assert.Contains(snapshot, Ok(await _server.CleanroomAsync("system", "df", "--verbose")).Stdout);
        Ok(await _server.CleanroomAsync("system", "prune")); // snapshots go only with --all
        Assert.Contains(snapshot, Ok(await _server.CleanroomAsync("snapshot", "ls")).Stdout);
        Assert.Contains(snapshot, Ok(await _server.CleanroomAsync("system", "prune", "--all", "--dry-run")).Stdout);

        // A corrupted snapshot: its own code, and nothing else harmed.
        var checkpoint = Directory.EnumerateDirectories(_server.Root, snapshot, SearchOption.AllDirectories).Single();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(checkpoint, "checkpoint")))
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await File.WriteAllBytesAsync(file, Enumerable.Repeat((byte)0x5a, 4096).ToArray());
        }
        var corrupt = await _server.CleanroomAsync("create", "--chdir", _repo, "--from", snapshot);
        Assert.NotEqual(0, corrupt.ExitCode);
        Assert.Contains("snapshot_corrupt", corrupt.Stderr);
        Assert.Equal("alive\n", Ok(await _server.CleanroomAsync("exec", "--in", second, "--", "echo", "alive")).Stdout);
        Ok(await _server.CleanroomAsync("snapshot", "rm", snapshot));
        Assert.DoesNotContain(snapshot, Ok(await _server.CleanroomAsync("snapshot", "ls")).Stdout);
    }

    private async Task<string> CreateAsync(params string[] extra) =>
        Ok(await _server.CleanroomAsync(["create", "--chdir", _repo, .. extra])).Stdout.Trim();

    private async Task<string> StatusAsync(string id)
    {
        using var json = JsonDocument.Parse(Ok(await _server.CleanroomAsync("sandbox", "inspect", id, "--json")).Stdout);
        return json.RootElement.GetProperty("status").GetString()!;
    }

    private static ProgramResult Ok(ProgramResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static long[] Values(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
}
