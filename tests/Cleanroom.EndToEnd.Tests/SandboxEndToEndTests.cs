using System.Text.Json;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>The main job, as a user runs it: the built CLI, a real server, gVisor, the default image.</summary>
public sealed class SandboxEndToEndTests(SharedServer shared) : SharedServerTests(shared.Server), IClassFixture<SharedServer>
{
    private readonly RealServer _server = shared.Server;

    [Fact]
    public async Task The_readme_main_job_runs_a_command_in_a_sandbox_of_the_default_image()
    {
        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", Path.Combine(Product.RepositoryRoot, "examples", "basic"), "--", "sh", "-c", "uname -s; cat /etc/debian_version");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("Linux\n", run.Stdout);
        Assert.Matches(@"\n1\d\.\d+\n$", run.Stdout);
    }

    [Fact]
    public async Task Exit_codes_and_the_two_output_streams_come_back_apart()
    {
        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", Path.Combine(Product.RepositoryRoot, "examples", "basic"), "--",
            "sh", "-c", "echo to-out; echo to-err >&2; exit 7");

        Assert.Equal(7, run.ExitCode);
        Assert.Equal("to-out\n", run.Stdout);
        Assert.Contains("to-err", run.Stderr);
    }

    [Fact]
    public async Task Exec_passes_through_all_output_even_past_what_the_server_retains()
    {
        // 20 MB is more than the 16 MiB per stream the server keeps for replay; the live client gets every byte.
        var run = await _server.CleanroomAsync("exec", "--rm", "--chdir", Path.Combine(Product.RepositoryRoot, "examples", "basic"), "--",
            "sh", "-c", "head -c 20000000 /dev/zero | tr '\\0' x");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(20_000_000, run.Stdout.Length);
    }

    [Fact]
    public async Task A_sandbox_keeps_its_files_across_executions_and_leaves_nothing_when_removed()
    {
        var create = await _server.CleanroomAsync("create", "--chdir", Path.Combine(Product.RepositoryRoot, "examples", "basic"));
        Assert.True(create.ExitCode == 0, create.ToString());
        var id = create.Stdout.Trim();

        Assert.Equal(0, (await _server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", "echo kept > /root/note")).ExitCode);
        var read = await _server.CleanroomAsync("exec", "--in", id, "--", "cat", "/root/note");
        Assert.Equal("kept\n", read.Stdout);

        Assert.Equal(0, (await _server.CleanroomAsync("sandbox", "rm", id)).ExitCode);
        var containers = await Shell.RunAsync(["runsc", $"--root={_server.RunscRoot}", "list", "--format=json"]);
        Assert.DoesNotContain(id, containers.Stdout);
        Assert.DoesNotContain(id, await Shell.CheckAsync("ip", "netns", "list"));
        Assert.False(Directory.Exists(Path.Combine(_server.Root, "cache", "cleanroom", "sandboxes", id)));
    }
}
