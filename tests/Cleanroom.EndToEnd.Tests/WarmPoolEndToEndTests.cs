namespace Cleanroom.EndToEnd.Tests;

/// <summary>The warm pool through the real CLI and gVisor: a spare becomes the next sandbox of the same policy.</summary>
public sealed class WarmPoolEndToEndTests : IAsyncLifetime
{
    private RealServer _server = null!;
    private string _policyDirectory = null!;

    public async Task InitializeAsync()
    {
        _server = await RealServer.StartAsync(warmPool: 1);
        // Outside any git checkout: a sandbox of just the policy, no repository copied in.
        _policyDirectory = Directory.CreateTempSubdirectory("cleanroom-e2e-policy-").FullName;
        File.Copy(Path.Combine(Product.RepositoryRoot, "examples", "basic", "cleanroom.yaml"), Path.Combine(_policyDirectory, "cleanroom.yaml"));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_policyDirectory, recursive: true);
    }

    [Fact]
    public async Task Sandboxes_of_the_starter_policy_are_spares_from_the_start_and_a_stopped_server_leaves_none_behind()
    {
        // The server primed the pool for the starter policy (this directory's cleanroom.yaml is one) at start; the first
        // sandbox takes that spare, and the next spare starts once the first has run its first command (not beside it).
        var first = (await _server.CleanroomAsync("create", "--chdir", _policyDirectory)).Stdout.Trim();
        Assert.Equal(0, (await _server.CleanroomAsync("exec", "--in", first, "--", "true")).ExitCode);
        var second = (await _server.CleanroomAsync("create", "--chdir", _policyDirectory)).Stdout.Trim();
        Assert.StartsWith("sb-", first);
        Assert.StartsWith("sb-", second);

        Assert.Contains("warm pool", (await _server.CleanroomAsync("sandbox", "events", first)).Stdout);
        Assert.Contains("warm pool", (await _server.CleanroomAsync("sandbox", "events", second)).Stdout);
        // The spare is a whole sandbox: the image, the policy's network (no route out but its resolver), a writable root.
        var run = await _server.CleanroomAsync("exec", "--in", second, "--", "sh", "-c", "echo kept > /root/note && cat /root/note /etc/resolv.conf");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("kept\nnameserver ", run.Stdout);

        // The next spare is not a listed sandbox; status says what the pool holds.
        var status = await _server.CleanroomAsync("status");
        Assert.Contains("warm pool: spares of cleanroom.local/debian:latest@sha256:", status.Stdout);

        Assert.Equal(0, (await _server.CleanroomAsync("sandbox", "rm", first, second)).ExitCode);
        foreach (var process in _server.ServerProcesses())
        {
            await Shell.RunAsync(["kill", "-TERM", process.Id.ToString()]);
            await process.WaitForExitAsync();
        }

        // Taking the spare started the next one; stopping the server terminated it: no container, no namespace.
        var containers = await Shell.RunAsync(["runsc", $"--root={_server.RunscRoot}", "list", "--format=json"]);
        Assert.DoesNotContain("sb-", containers.Stdout);
        var prefix = "cre" + _server.Table[^3..] + "-";
        Assert.DoesNotContain(prefix, await Shell.CheckAsync("ip", "netns", "list"));
        Assert.Empty(Directory.Exists(Path.Combine(_server.Root, "cache", "cleanroom", "sandboxes"))
            ? Directory.GetDirectories(Path.Combine(_server.Root, "cache", "cleanroom", "sandboxes"))
            : []);
    }
}
