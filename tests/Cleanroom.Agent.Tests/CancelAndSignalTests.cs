using Cleanroom.Agent.Client;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

public class CancelAndSignalTests : AgentTestBase
{
    [Fact]
    public async Task Cancel_kills_a_command_that_ignores_SIGTERM_after_the_grace_period()
    {
        var execution = await Agent.StartAsync(Shell("trap '' TERM; echo ready; sleep 100"), Deadline);
        await WaitForReadyAsync(execution);

        await execution.CancelAsync(TimeSpan.FromMilliseconds(300), Deadline);
        var status = await execution.Exit.WaitAsync(Deadline);

        // SIGTERM was ignored, so only the SIGKILL after the grace period could end it.
        Assert.Equal(9, status.Signal);
        Assert.Equal(137, status.ExitCode);
    }

    [Fact]
    public async Task Cancel_stops_a_command_with_SIGTERM_when_it_obeys()
    {
        var execution = await Agent.StartAsync(Shell("echo ready; sleep 100"), Deadline);
        await WaitForReadyAsync(execution);

        await execution.CancelAsync(TimeSpan.FromSeconds(30), Deadline);
        var status = await execution.Exit.WaitAsync(Deadline);

        Assert.Equal(15, status.Signal);
        Assert.Equal(143, status.ExitCode);
    }

    [Fact]
    public async Task Signal_reaches_the_whole_process_group()
    {
        // The shell waits for sleep; both are in the command's group, so SIGINT ends the pipeline.
        var execution = await Agent.StartAsync(Shell("echo ready; sleep 100 | cat"), Deadline);
        await WaitForReadyAsync(execution);

        await execution.SignalAsync(2, Deadline);
        var status = await execution.Exit.WaitAsync(Deadline);

        Assert.Equal(2, status.Signal);
        Assert.Equal(130, status.ExitCode);
    }

    private async Task WaitForReadyAsync(AgentExecution execution)
    {
        Assert.True(await execution.Output.WaitToReadAsync(Deadline));
        Assert.True(execution.Output.TryRead(out var chunk));
        Assert.Equal("ready\n", System.Text.Encoding.UTF8.GetString(chunk.Data.Span));
    }
}
