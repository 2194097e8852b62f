namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// A policy's <c>resources.disk</c> as a user meets it: honoured by the gVisor sandbox, a write past it failing inside
/// with ENOSPC, and the CLI saying afterwards that the sandbox's disk was full.
/// </summary>
public sealed class DiskLimitEndToEndTests : IAsyncLifetime
{
    private RealServer _server = null!;
    private string _repo = null!;

    public async Task InitializeAsync()
    {
        _server = await RealServer.StartAsync();
        _repo = Directory.CreateDirectory(Path.Combine(_server.Root, "repo")).FullName;
        await File.WriteAllTextAsync(Path.Combine(_repo, "cleanroom.yaml"),
            $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n  resources:\n    disk: 64MiB\n");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_write_past_the_policy_disk_fails_with_ENOSPC_and_the_cli_says_the_disk_is_full()
    {
        var create = await _server.CleanroomAsync("create", "--chdir", _repo);
        Assert.True(create.ExitCode == 0, create.ToString());
        var id = create.Stdout.Trim();

        var fill = await _server.CleanroomAsync("exec", "--in", id, "--", "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=128");

        Assert.Equal(1, fill.ExitCode);
        Assert.Contains("No space left on device", fill.Stderr);
        Assert.Contains("cleanroom: the sandbox's disk is full", fill.Stderr);
        var free = await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", "rm /big && echo freed > /note && cat /note");
        Assert.True(free.ExitCode == 0, free.ToString());
        Assert.Equal("freed\n", free.Stdout);
        Assert.DoesNotContain("disk is full", free.Stderr);
        Assert.Equal(0, (await _server.CleanroomAsync("sandbox", "rm", id)).ExitCode);
    }
}
