using Cleanroom.Agent.Client;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

/// <summary>
/// Runs the agent as PID 1 of a new PID namespace (unshare --pid --fork --mount-proc), where orphans
/// are re-parented to it, and checks that none stays a zombie.
/// </summary>
public sealed class ZombieReapingTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _deadline = TestDeadline.Start(120);
    private AgentProcess? _agent;

    public async Task InitializeAsync()
    {
        if (AgentPaths.FindOnPath("unshare") is null || Environment.UserName != "root")
            return; // the facts below are skipped in that case
        _agent = await AgentProcess.StartAsync("unshare", ["--pid", "--fork", "--mount-proc", "dotnet", AgentPaths.ManagedAgentDll, "--stdio"]);
    }

    public async Task DisposeAsync()
    {
        if (_agent is not null)
            await _agent.DisposeAsync(); // PID 1 exiting kills the whole namespace
        _deadline.Dispose();
    }

    private AgentConnection Agent => _agent!.Connection;

    [PidNamespaceFact]
    public void Agent_knows_it_is_PID_1_and_announces_the_reaper()
    {
        Assert.True(Agent.Agent.IsInitProcess);
        Assert.True(Agent.Agent.Supports(AgentCapabilities.Reaper));
    }

    [PidNamespaceFact]
    public async Task Orphans_left_by_a_command_are_reaped()
    {
        // `exec true` replaces the shell; when it exits, the background sleep is re-parented to PID 1.
        var orphanMaker = await CollectedOutput.RunAsync(Agent,
            new ExecutionRequest(["sh", "-c", "sleep 0.2 >/dev/null 2>&1 & echo $!; exec true"]), _deadline.Token);
        var orphanPid = int.Parse(orphanMaker.StdoutText.Trim());

        // A zombie keeps its /proc entry; a reaped process loses it. Give the orphan 20 s to end and vanish.
        var check = await CollectedOutput.RunAsync(Agent,
            new ExecutionRequest(["timeout", "20", "sh", "-c", $"while [ -e /proc/{orphanPid} ]; do sleep 0.05; done"]), _deadline.Token);

        Assert.Equal(0, orphanMaker.Status.ExitCode);
        Assert.Equal(0, check.Status.ExitCode);
    }

    [PidNamespaceFact]
    public async Task Many_orphans_leave_no_zombie_behind()
    {
        await CollectedOutput.RunAsync(Agent,
            new ExecutionRequest(["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.1 >/dev/null 2>&1 & done; exec true"]), _deadline.Token);

        // A zombie sleep keeps its /proc entry (and its name), so this loop ends only when every orphan
        // has exited AND been reaped; then nothing in the namespace may be in state Z.
        var result = await CollectedOutput.RunAsync(Agent, new ExecutionRequest(["timeout", "20", "sh", "-c",
            "while grep -qsx sleep /proc/[0-9]*/comm; do sleep 0.05; done; cat /proc/[0-9]*/stat 2>/dev/null | awk '$3 == \"Z\"'"]), _deadline.Token);

        Assert.Equal(0, result.Status.ExitCode);
        Assert.Equal("", result.StdoutText);
    }
}
