using System.Text;
using Cleanroom.Agent.Client;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

public class StdinTests : AgentTestBase
{
    [Fact]
    public async Task Stdin_is_piped_to_the_command_and_closing_it_ends_the_input()
    {
        var execution = await Agent.StartAsync(new ExecutionRequest(["cat"]) { Stdin = true }, Deadline);
        var collecting = CollectedOutput.CollectAsync(execution, Deadline);

        await execution.WriteStdinAsync(Encoding.UTF8.GetBytes("hello\n"), Deadline);
        await execution.WriteStdinAsync(Encoding.UTF8.GetBytes("world\n"), Deadline);
        await execution.CloseStdinAsync(Deadline);
        var result = await collecting;

        Assert.Equal(0, result.Status.ExitCode);
        Assert.Equal("hello\nworld\n", result.StdoutText);
    }

    [Fact]
    public async Task Stdin_larger_than_the_agents_window_arrives_intact()
    {
        var data = new byte[3 * 1024 * 1024 + 17];
        new Random(7).NextBytes(data);
        var execution = await Agent.StartAsync(new ExecutionRequest(["cat"]) { Stdin = true }, Deadline);
        var collecting = CollectedOutput.CollectAsync(execution, Deadline);

        await execution.WriteStdinAsync(data, Deadline);
        await execution.CloseStdinAsync(Deadline);
        var result = await collecting;

        Assert.Equal(0, result.Status.ExitCode);
        Assert.Equal(data, result.Stdout);
    }

    [Fact]
    public async Task Without_stdin_the_command_reads_end_of_file()
    {
        var result = await RunAsync(Shell("cat; echo eof"));

        Assert.Equal("eof\n", result.StdoutText);
    }

    [Fact]
    public async Task Writing_stdin_of_an_execution_started_without_it_is_refused()
    {
        var execution = await Agent.StartAsync(new ExecutionRequest(["true"]), Deadline);

        await Assert.ThrowsAsync<InvalidOperationException>(() => execution.WriteStdinAsync(new byte[1], Deadline));
    }
}
