using Cleanroom.Backends;
using Cleanroom.ControlPlane.Tests.Doubles;
using Cleanroom.Errors;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

/// <summary>Ended sandboxes' records (executions, events, retained output) go after the retention period; live ones stay.</summary>
public class RecordRetentionTests
{
    [Fact]
    public async Task An_ended_sandbox_is_forgotten_with_its_output_after_the_retention_period_and_a_live_one_is_kept()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var ended = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(ended.Id, "build"), CancellationToken.None);
        var process = await backend.Sandboxes[ended.Id].NextExecutionAsync();
        await process.WriteAsync(OutputStream.Stdout, "built\n");
        process.Exit(ExitStatus.Exited(0));
        await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None);
        await h.Control.TerminateSandboxAsync(ended.Id, CancellationToken.None);
        var live = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var output = Path.Combine(h.StateDirectory, "executions", execution.Id);
        Assert.True(Directory.Exists(output));

        // The hourly check runs as the clock moves.
        h.Time.Advance(TimeSpan.FromDays(6));
        Assert.Equal(SandboxStatus.Stopped, (await h.Control.GetSandboxAsync(ended.Id, CancellationToken.None)).Status);
        h.Time.Advance(TimeSpan.FromDays(2));

        Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<CleanroomException>(() => h.Control.GetSandboxAsync(ended.Id, CancellationToken.None))).Code);
        Assert.False(Directory.Exists(output));
        Assert.Equal(SandboxStatus.Ready, (await h.Control.GetSandboxAsync(live.Id, CancellationToken.None)).Status);
        Assert.Equal([live.Id], (await h.Control.ListSandboxesAsync(CancellationToken.None)).Select(s => s.Id));
    }

    [Fact]
    public async Task Pruning_with_no_age_removes_every_ended_sandbox_now()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var ended = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        await h.Control.TerminateSandboxAsync(ended.Id, CancellationToken.None);
        var live = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);

        var removed = h.Control.PruneEndedRecords(TimeSpan.Zero);

        Assert.Equal([ended.Id], removed);
        Assert.Equal([live.Id], (await h.Control.ListSandboxesAsync(CancellationToken.None)).Select(s => s.Id));
    }
}

/// <summary>A second server on one state directory learns so before its slow start-up work.</summary>
public class StateDirectoryCheckTests
{
    [Fact]
    public async Task The_state_directory_check_fails_while_a_control_plane_holds_it_and_passes_after()
    {
        var h = await StartAsync(new ScriptedBackend());
        try
        {
            Assert.Throws<StateDirectoryInUseException>(() => SandboxControl.EnsureStateDirectoryFree(h.StateDirectory));
        }
        finally
        {
            await h.Control.DisposeAsync();
        }

        SandboxControl.EnsureStateDirectoryFree(h.StateDirectory);
        await h.DisposeAsync();
    }
}
