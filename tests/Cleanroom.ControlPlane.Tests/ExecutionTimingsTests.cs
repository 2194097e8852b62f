using Cleanroom.TestDoubles;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

/// <summary>
/// Execution timings: a sandbox's first execution carries its start-up milestones and counts from the sandbox's
/// create; later ones count from their own create; both survive in the store (what inspect and status read).
/// </summary>
public class ExecutionTimingsTests
{
    [Fact]
    public async Task The_first_execution_carries_the_sandbox_start_up_and_later_ones_do_not()
    {
        await using var h = await StartAsync(new HostProcessBackend());
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(backend: null), CancellationToken.None);

        var first = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "/bin/sh", "-c", "exit 0"), CancellationToken.None);
        var firstEnd = await h.Control.WaitForExecutionAsync(first.Id, CancellationToken.None);
        var second = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "/bin/sh", "-c", "exit 0"), CancellationToken.None);
        var secondEnd = await h.Control.WaitForExecutionAsync(second.Id, CancellationToken.None);

        var startup = Assert.IsType<ExecutionStartup>(firstEnd.Startup);
        Assert.Equal(sandbox.CreatedAt, startup.Origin);
        Assert.NotNull(startup.ImageReady);
        Assert.NotNull(startup.SandboxReady);
        // Nothing here enforces a network (no egress layer around the backend), so nobody reported it ready.
        Assert.Null(startup.NetworkReady);
        Assert.Null(secondEnd.Startup);

        var timings = firstEnd.Timings;
        Assert.Equal(firstEnd.FinishedAt - sandbox.CreatedAt, timings.Total);
        Assert.Equal(firstEnd.FinishedAt - firstEnd.StartedAt, timings.Command);
        Assert.Null(secondEnd.Timings.SandboxReady);
        Assert.Equal(secondEnd.FinishedAt - secondEnd.CreatedAt, secondEnd.Timings.Total);

        // Read back from the store, as a later GetExecution or a restarted server would.
        await h.RestartAsync();
        var stored = await h.Control.GetExecutionAsync(first.Id, CancellationToken.None);
        Assert.Equal(startup, stored.Startup);
        Assert.Null((await h.Control.GetExecutionAsync(second.Id, CancellationToken.None)).Startup);
    }

    [Fact]
    public void Timings_of_an_execution_that_never_ran_have_no_command_or_total()
    {
        var execution = new Execution
        {
            Id = "ex-1",
            SandboxId = "sb-1",
            Spec = new Backends.ExecutionSpec { Argv = ["true"] },
            Status = ExecutionStatus.Queued,
            CreatedAt = DateTimeOffset.UnixEpoch,
        };

        Assert.Equal(new ExecutionTimings(null, null, null, null, null), execution.Timings);
    }
}
