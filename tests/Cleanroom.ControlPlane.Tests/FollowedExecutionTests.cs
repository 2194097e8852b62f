using Cleanroom.Backends;
using Cleanroom.TestDoubles;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

public class FollowedExecutionTests
{
    [Fact]
    public async Task A_followed_execution_delivers_all_output_of_a_command_that_outruns_the_retention_limit()
    {
        await using var h = await StartAsync(new HostProcessBackend(), maxRetainedBytes: 10);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(backend: null), CancellationToken.None);
        var request = ExecutionRequest(sandbox.Id, "/bin/sh", "-c", "yes x 2>/dev/null | head -c 200000; echo done >&2");

        using var followed = await h.Control.CreateFollowedExecutionAsync(request, CancellationToken.None);
        var items = await CollectAsync(followed.Output(CancellationToken.None));
        var later = await CollectAsync(h.Control.StreamExecutionAsync(followed.Execution.Id, CancellationToken.None));

        Assert.Equal(200000, Text(items, OutputStream.Stdout).Length);
        Assert.Equal("done\n", Text(items, OutputStream.Stderr));
        Assert.Equal(ExecutionStatus.Succeeded, Assert.IsType<ExecutionExited>(items[^1]).Execution.Status);
        Assert.Equal(10, Text(later, OutputStream.Stdout).Length); // a later reader replays only what is retained
    }
}
