using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// <c>cleanroom sandbox suspend|resume</c> through the whole product on gVisor (with its own network stack, which runsc
/// can checkpoint): nothing of a suspended sandbox runs on the host, a resumed one has its files and its processes
/// going on from where they were, any command wakes it, and a corrupted checkpoint fails the wake with wake_failed
/// and harms no other sandbox.
/// </summary>
public sealed class SuspendEndToEndTests(SuspendEndToEndTests.World world, ITestOutputHelper output)
    : SharedServerTests(world.Server), IClassFixture<SuspendEndToEndTests.World>
{
    private const string Counter = "echo kept > /root/file; sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done' > /dev/null 2>&1 &";

    // Waits in the sandbox until the counter moves past its value now, then prints both (no waiting on the host).
    private const string CounterMoves = "a=$(cat /tmp/count); while [ \"$(cat /tmp/count)\" -le \"$a\" ]; do sleep 0.05; done; echo $a $(cat /tmp/count)";

    private readonly RealServer _server = world.Server;

    /// <summary>One server whose gVisor sandboxes use gVisor's own network stack; each test makes its own sandboxes.</summary>
    public sealed class World : IAsyncLifetime
    {
        public RealServer Server { get; private set; } = null!;

        public string Repository { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Server = await RealServer.StartAsync(configYaml: "backends:\n  gvisor:\n    network_stack: sandbox\n");
            Repository = await SuspendRepository.WriteAsync(Server);
        }

        public async Task DisposeAsync()
        {
            if (Server is not null)
                await Server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_suspended_sandbox_holds_no_process_and_resumes_with_its_file_and_its_counter_going_on()
    {
        var id = await CreateAsync();
        Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", Counter));
        var beforeSuspend = Values(Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", CounterMoves)).Stdout)[1];
        var rssBefore = SandboxProcesses.RssKib(id);

        var clock = Stopwatch.StartNew();
        var suspend = Ok(await _server.CleanroomAsync("sandbox", "suspend", id));
        var suspendTime = clock.Elapsed;

        Assert.Equal($"sandbox {id} is SUSPENDED\n", suspend.Stdout);
        Assert.Empty(SandboxProcesses.Of(id));
        Assert.Equal("SUSPENDED", await StatusAsync(id));

        clock.Restart();
        var resume = Ok(await _server.CleanroomAsync("sandbox", "resume", id));
        var resumeTime = clock.Elapsed;

        Assert.Equal($"sandbox {id} is READY\n", resume.Stdout);
        Assert.Equal("kept\n", Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "cat", "/root/file")).Stdout);
        var afterResume = Values(Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", CounterMoves)).Stdout);
        Assert.True(afterResume[0] >= beforeSuspend, $"the counter went on from {beforeSuspend}; it did not start again ({afterResume[0]})");
        Assert.True(afterResume[1] > afterResume[0], "the counter runs after the resume");
        output.WriteLine($"suspend {suspendTime.TotalMilliseconds:0} ms, resume {resumeTime.TotalMilliseconds:0} ms (CLI wall time); "
            + $"RSS of the sandbox's processes before suspend {rssBefore} KiB, while suspended 0 (no process)");
        Ok(await _server.CleanroomAsync("sandbox", "rm", id));
    }

    [Fact]
    public async Task A_command_in_a_suspended_sandbox_wakes_it_and_runs_and_the_events_say_so()
    {
        var id = await CreateAsync();
        Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", "echo before > /root/note"));
        Ok(await _server.CleanroomAsync("sandbox", "suspend", id));

        var exec = Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "cat", "/root/note"));

        Assert.Equal("before\n", exec.Stdout);
        Assert.Equal("READY", await StatusAsync(id));
        var events = Ok(await _server.CleanroomAsync("sandbox", "events", id, "--json")).Stdout;
        Assert.Contains("woken in", events);
        Assert.Contains("woken for a command", events);
        Ok(await _server.CleanroomAsync("sandbox", "rm", id));
    }

    [Fact]
    public async Task A_copy_out_of_a_suspended_sandbox_wakes_it()
    {
        var id = await CreateAsync();
        Ok(await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", "echo copied > /root/note"));
        Ok(await _server.CleanroomAsync("sandbox", "suspend", id));
        var target = Path.Combine(_server.Root, "copied-" + id);

        Ok(await _server.CleanroomAsync("cp", $"{id}:/root/note", target));

        Assert.Equal("copied\n", await File.ReadAllTextAsync(target));
        Assert.Equal("READY", await StatusAsync(id));
        Assert.Contains("woken for a file copy", Ok(await _server.CleanroomAsync("sandbox", "events", id, "--json")).Stdout);
        Ok(await _server.CleanroomAsync("sandbox", "rm", id));
    }

    [Fact]
    public async Task A_corrupted_checkpoint_fails_the_wake_with_wake_failed_and_harms_no_other_sandbox()
    {
        var other = await CreateAsync();
        var id = await CreateAsync();
        Ok(await _server.CleanroomAsync("sandbox", "suspend", id));
        var checkpoint = Directory.EnumerateDirectories(_server.Root, "cleanroom-" + id, SearchOption.AllDirectories)
            .Select(d => Path.Combine(d, "checkpoint")).Single(Directory.Exists);
        foreach (var file in Directory.EnumerateFiles(checkpoint))
            await File.WriteAllBytesAsync(file, Enumerable.Repeat((byte)0x5a, 4096).ToArray());

        var exec = await _server.CleanroomAsync("exec", "--in", id, "--", "true");

        Assert.NotEqual(0, exec.ExitCode);
        Assert.Contains("wake_failed", exec.Stderr);
        Assert.Equal("FAILED", await StatusAsync(id));
        Assert.True(Directory.Exists(checkpoint), "the checkpoint is kept for inspection");
        Assert.Empty(SandboxProcesses.Of(id));
        Assert.Equal("alive\n", Ok(await _server.CleanroomAsync("exec", "--in", other, "--", "echo", "alive")).Stdout);
        Ok(await _server.CleanroomAsync("sandbox", "rm", other));
    }

    private async Task<string> CreateAsync() =>
        Ok(await _server.CleanroomAsync("create", "--chdir", world.Repository)).Stdout.Trim();

    private async Task<string> StatusAsync(string id)
    {
        using var json = JsonDocument.Parse(Ok(await _server.CleanroomAsync("sandbox", "inspect", id, "--json")).Stdout);
        return json.RootElement.GetProperty("status").GetString()!.Replace("SANDBOX_STATUS_", "", StringComparison.Ordinal);
    }

    private static ProgramResult Ok(ProgramResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static long[] Values(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
}
