using System.Text;
using Cleanroom.Api.V1;
using Cleanroom.Errors;

namespace Cleanroom.Client.Tests;

[Collection(RealServerCollection.Name)]
public class FilesAndEventsEndToEndTests(ServerFixture fixture) : IAsyncLifetime
{
    private CleanroomClient _client = null!;
    private Sandbox _sandbox = null!;
    private DirectoryInfo _local = null!;

    public async Task InitializeAsync()
    {
        _local = Directory.CreateTempSubdirectory("cleanroom-client-files-");
        _client = fixture.NewClient();
        _sandbox = await _client.CreateSandboxAsync(new SandboxOptions { Policy = fixture.DefaultPolicy });
    }

    public async Task DisposeAsync()
    {
        await _sandbox.TerminateAsync();
        _client.Dispose();
        _local.Delete(recursive: true);
    }

    [Fact]
    public async Task A_written_file_reads_back_lists_and_is_seen_by_commands()
    {
        await _sandbox.WriteFileAsync("/tmp/client/notes.txt", "line one\nline two\n"u8.ToArray());

        var read = await _sandbox.ReadFileAsync("/tmp/client/notes.txt");
        var (result, stdout, _) = await _sandbox.ExecAndWaitAsync(["wc", "-l", "/tmp/client/notes.txt"]);
        var listed = await _sandbox.ListFilesAsync("/tmp/client");

        Assert.Equal("line one\nline two\n", Encoding.UTF8.GetString(read));
        Assert.True(result.Succeeded);
        Assert.StartsWith("2 ", stdout);
        var entry = Assert.Single(listed, e => e.Path == "notes.txt");
        Assert.Equal("file", entry.Kind);
        Assert.Equal(18, entry.Size);
    }

    [Fact]
    public async Task A_directory_tree_goes_in_and_comes_back_out()
    {
        var source = Directory.CreateDirectory(Path.Combine(_local.FullName, "in"));
        Directory.CreateDirectory(Path.Combine(source.FullName, "sub"));
        await File.WriteAllTextAsync(Path.Combine(source.FullName, "a.txt"), "alpha");
        await File.WriteAllTextAsync(Path.Combine(source.FullName, "sub", "b.txt"), "beta");

        await _sandbox.UploadDirectoryAsync(source.FullName, "/tmp/tree");
        await _sandbox.ExecAndWaitAsync(["sh", "-c", "echo gamma > /tmp/tree/sub/c.txt"]);
        var target = Directory.CreateDirectory(Path.Combine(_local.FullName, "out"));
        await _sandbox.DownloadDirectoryAsync("/tmp/tree", target.FullName);

        Assert.Equal("alpha", await File.ReadAllTextAsync(Path.Combine(target.FullName, "a.txt")));
        Assert.Equal("beta", await File.ReadAllTextAsync(Path.Combine(target.FullName, "sub", "b.txt")));
        Assert.Equal("gamma\n", await File.ReadAllTextAsync(Path.Combine(target.FullName, "sub", "c.txt")));
    }

    [Fact]
    public async Task Reading_a_missing_file_fails_with_a_stable_code()
    {
        var ex = await Assert.ThrowsAnyAsync<CleanroomException>(() => _sandbox.ReadFileAsync("/no/such/file"));

        Assert.Equal(ErrorCode.NotFound, ex.Code);
    }

    [Fact]
    public async Task A_blocked_connection_arrives_as_a_typed_event()
    {
        // The policy resolver's address (the host end of the sandbox's own link) on a port that is not DNS: the
        // sandbox's firewall drops it before it reaches anything, so no packet leaves this host.
        var (_, _, _) = await _sandbox.ExecAndWaitAsync(["sh", "-c",
            "ns=$(awk '/^nameserver/{print $2; exit}' /etc/resolv.conf); curl -sS -m 3 http://$ns:81/ || true"]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        SandboxActivity? blocked = null;
        await foreach (var activity in _sandbox.EventsAsync(follow: true, deadline.Token))
        {
            if (activity.Blocked is not null)
            {
                blocked = activity;
                break;
            }
        }

        Assert.NotNull(blocked);
        Assert.Equal("network.blocked", blocked.Type);
        Assert.Equal(81, blocked.Blocked!.Port);
        Assert.Equal("tcp", blocked.Blocked.Protocol);
        Assert.False(string.IsNullOrEmpty(blocked.Blocked.Reason));
        Assert.Equal(SandboxStatus.Ready, blocked.Status);
    }

    [Fact]
    public async Task Events_without_follow_end_with_what_is_recorded_and_include_the_way_to_ready()
    {
        var events = new List<SandboxActivity>();
        await foreach (var activity in _sandbox.EventsAsync(follow: false))
            events.Add(activity);

        Assert.Contains(events, e => e.Type == "sandbox.status" && e.Status == SandboxStatus.Ready);
    }
}
