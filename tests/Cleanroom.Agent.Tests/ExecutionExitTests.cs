using Cleanroom.Agent.Client;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

public class ExecutionExitTests : AgentTestBase
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(42)]
    public async Task Exit_code_of_the_command_is_reported(int code)
    {
        var result = await RunAsync(Shell($"exit {code}"));

        Assert.Equal(code, result.Status.ExitCode);
        Assert.Null(result.Status.Signal);
        Assert.True(result.Status.Started);
    }

    [Fact]
    public async Task Death_by_signal_is_reported_as_128_plus_the_signal()
    {
        var result = await RunAsync(Shell("kill -9 $$"));

        Assert.Equal(137, result.Status.ExitCode);
        Assert.Equal(9, result.Status.Signal);
    }

    [Fact]
    public async Task Missing_command_exits_127_with_a_stable_code_and_message()
    {
        var result = await RunAsync("definitely-not-a-command-3f9a");

        Assert.Equal(127, result.Status.ExitCode);
        Assert.Equal(AgentErrorCodes.CommandNotFound, result.Status.Failure?.Code);
        Assert.Equal("command not found: definitely-not-a-command-3f9a", result.Status.Failure?.Message);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Missing_working_directory_exits_126_with_a_stable_code()
    {
        var result = await RunAsync(new ExecutionRequest(["true"]) { WorkingDirectory = Path.Combine(TempDirectory, "missing") });

        Assert.Equal(126, result.Status.ExitCode);
        Assert.Equal(AgentErrorCodes.WorkingDirectoryNotFound, result.Status.Failure?.Code);
        Assert.Contains("missing", result.Status.Failure?.Message);
    }

    [Fact]
    public async Task File_without_execute_permission_exits_126()
    {
        var script = Path.Combine(TempDirectory, "not-executable");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // No execute bit at all: execve refuses it even for root.
        var result = await RunAsync(new ExecutionRequest([script]));

        Assert.Equal(126, result.Status.ExitCode);
        Assert.Equal(AgentErrorCodes.NotExecutable, result.Status.Failure?.Code);
    }

    [Fact]
    public async Task Environment_and_working_directory_are_applied()
    {
        var result = await RunAsync(new ExecutionRequest(["sh", "-c", "echo \"$GREETING\"; pwd; echo \"${HOSTVAR:-unset}\""])
        {
            Environment = new Dictionary<string, string> { ["GREETING"] = "hello from the host", ["PATH"] = "/usr/bin:/bin" },
            WorkingDirectory = TempDirectory,
        });

        Assert.Equal(0, result.Status.ExitCode);
        // Nothing leaks from the agent's own environment.
        Assert.Equal($"hello from the host\n{TempDirectory}\nunset\n", result.StdoutText);
    }

    [Fact]
    public async Task Command_without_PATH_is_found_in_the_standard_path()
    {
        var result = await RunAsync("true");

        Assert.Equal(0, result.Status.ExitCode);
    }

    [Fact]
    public async Task Command_does_not_inherit_the_agents_ignored_SIGPIPE()
    {
        // The .NET runtime ignores SIGPIPE and execve keeps ignored signals ignored; the agent must reset it,
        // or `producer | head` pipelines never end. An ignored SIGPIPE would let this shell exit 0.
        var result = await RunAsync(Shell("kill -PIPE $$"));

        Assert.Equal(128 + 13, result.Status.ExitCode);
    }
}
