using Cleanroom.Agent.Client;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

public class ConnectionTests : AgentTestBase
{
    [Fact]
    public async Task Handshake_reports_the_agents_version_and_capabilities()
    {
        Assert.Equal(1u, Agent.Agent.ProtocolVersion);
        Assert.Equal("0.1.0", Agent.Agent.Version);
        Assert.True(Agent.Agent.Supports("exec"));
        Assert.True(Agent.Agent.Supports("file-write"));
        Assert.False(Agent.Agent.IsInitProcess);
        await Agent.PingAsync(Deadline);
    }

    [Fact]
    public async Task Shutdown_terminates_running_commands_and_the_agent_exits()
    {
        var execution = await Agent.StartAsync(Shell("echo ready; sleep 100"), Deadline);
        Assert.True(await execution.Output.WaitToReadAsync(Deadline));

        await Agent.ShutdownAsync(TimeSpan.FromSeconds(10), Deadline);
        var status = await execution.Exit.WaitAsync(Deadline);

        Assert.Equal(143, status.ExitCode);
        Assert.Equal(0, await AgentProcess.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await Agent.Completion; // a shutdown the host asked for is a normal end
    }

    [Fact]
    public async Task Losing_the_agent_fails_every_pending_execution_with_a_clear_error()
    {
        var first = await Agent.StartAsync(Shell("sleep 100"), Deadline);
        var second = await Agent.StartAsync(Shell("sleep 100"), Deadline);

        AgentProcess.KillAgent();

        var error = await Assert.ThrowsAsync<AgentException>(() => first.Exit.WaitAsync(Deadline));
        await Assert.ThrowsAsync<AgentException>(() => second.Exit.WaitAsync(Deadline));
        Assert.Equal(AgentClientErrorCodes.ConnectionLost, error.Code);
        Assert.Contains("agent", error.Message);
        var later = await Assert.ThrowsAsync<AgentException>(() => Agent.StartAsync(Shell("true"), Deadline));
        Assert.Equal(AgentClientErrorCodes.ConnectionLost, later.Code);
        await Assert.ThrowsAsync<AgentException>(() => Agent.Completion);
    }
}
