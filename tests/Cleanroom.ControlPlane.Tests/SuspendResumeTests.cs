using Cleanroom.Backends;
using Cleanroom.ControlPlane.Tests.Doubles;
using Cleanroom.Errors;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

/// <summary>SUSPENDED in the state machine: suspend, transparent wakes, failed wakes, terminate, idle suspend.</summary>
public class SuspendResumeTests
{
    [Fact]
    public async Task A_suspended_sandbox_is_woken_by_the_next_execution_with_an_event_saying_why()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);

        var suspended = await h.Control.SuspendSandboxAsync(sandbox.Id, CancellationToken.None);

        Assert.Equal(SandboxStatus.Suspended, suspended.Status);
        Assert.True(backend.Sandboxes[sandbox.Id].IsSuspended);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "true"), CancellationToken.None);
        (await backend.Sandboxes[sandbox.Id].NextExecutionAsync()).Exit(ExitStatus.Exited(0));
        Assert.Equal(ExecutionStatus.Succeeded, (await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None)).Status);
        Assert.Equal(SandboxStatus.Ready, (await h.Control.GetSandboxAsync(sandbox.Id, CancellationToken.None)).Status);
        Assert.Equal(1, backend.Sandboxes[sandbox.Id].Wakes);
        Assert.Contains(h.Control.ReadSandboxEvents(sandbox.Id), e => e.Type == SandboxEventTypes.SandboxStatus
            && e.PayloadJson.Contains("\"SUSPENDED\"") && e.PayloadJson.Contains("suspended in"));
        Assert.Contains(h.Control.ReadSandboxEvents(sandbox.Id), e => e.Type == SandboxEventTypes.SandboxStatus
            && e.PayloadJson.Contains("\"READY\"") && e.PayloadJson.Contains("woken in") && e.PayloadJson.Contains("for a command"));
    }

    [Fact]
    public async Task Suspend_and_resume_are_idempotent_and_a_download_wakes_too()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        backend.Sandboxes[sandbox.Id].Files["/etc/hostname"] = "box";

        await h.Control.SuspendSandboxAsync(sandbox.Id, CancellationToken.None);
        Assert.Equal(SandboxStatus.Suspended, (await h.Control.SuspendSandboxAsync(sandbox.Id, CancellationToken.None)).Status);
        Assert.Equal(1, backend.Sandboxes[sandbox.Id].Suspends);

        await using (var file = await h.Control.OpenFileAsync(sandbox.Id, "/etc/hostname", CancellationToken.None))
            Assert.Equal("box", await new StreamReader(file).ReadToEndAsync());
        Assert.Equal(SandboxStatus.Ready, (await h.Control.ResumeSandboxAsync(sandbox.Id, CancellationToken.None)).Status);
        Assert.Equal(1, backend.Sandboxes[sandbox.Id].Wakes);
    }

    [Fact]
    public async Task A_sandbox_with_a_running_command_is_not_suspended()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "sleep", "600"), CancellationToken.None);
        await backend.Sandboxes[sandbox.Id].NextExecutionAsync();

        var refused = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.SuspendSandboxAsync(sandbox.Id, CancellationToken.None));

        Assert.Equal(ErrorCode.SuspendFailed, refused.Code);
        Assert.Contains("1 command(s) run", refused.Message);
        Assert.Equal(SandboxStatus.Ready, (await h.Control.GetSandboxAsync(sandbox.Id, CancellationToken.None)).Status);
        Assert.Equal(0, backend.Sandboxes[sandbox.Id].Suspends);
    }

    [Fact]
    public async Task A_checkpoint_that_fails_leaves_the_sandbox_ready_with_a_suspend_failed_event()
    {
        var backend = new ScriptedBackend { SuspendFailure = "runsc checkpoint failed" };
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);

        var failure = await Assert.ThrowsAsync<SandboxSuspendException>(() => h.Control.SuspendSandboxAsync(sandbox.Id, CancellationToken.None));

        Assert.Equal(ErrorCode.SuspendFailed, failure.Code);
        Assert.Equal(SandboxStatus.Ready, (await h.Control.GetSandboxAsync(sandbox.Id, CancellationToken.None)).Status);
        Assert.Contains(h.Control.ReadSandboxEvents(sandbox.Id), e => e.Type == SandboxEventTypes.SuspendFailed && e.PayloadJson.Contains("runsc checkpoint failed"));
        await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "true"), CancellationToken.None);
    }

    [Fact]
    public async Task A_wake_that_fails_leaves_the_sandbox_failed_with_wake_failed()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        await h.Control.SuspendSandboxAsync(sandbox.Id, CancellationToken.None);
        backend.WakeFailure = "the checkpoint is corrupt";

        var failure = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "true"), CancellationToken.None));

        Assert.Equal(ErrorCode.WakeFailed, failure.Code);
        var failed = await h.Control.GetSandboxAsync(sandbox.Id, CancellationToken.None);
        Assert.Equal(SandboxStatus.Failed, failed.Status);
        Assert.Equal(ErrorCode.WakeFailed, failed.FailureCode);
        Assert.Contains("the checkpoint is corrupt", failed.FailureMessage);
        Assert.False(backend.Sandboxes[sandbox.Id].Terminated, "a failed wake keeps what the backend has (the checkpoint) for inspection");
    }

    [Fact]
    public async Task Terminating_a_suspended_sandbox_removes_it_without_waking_it()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        await h.Control.SuspendSandboxAsync(sandbox.Id, CancellationToken.None);

        var stopped = await h.Control.TerminateSandboxAsync(sandbox.Id, CancellationToken.None);

        Assert.Equal(SandboxStatus.Stopped, stopped.Status);
        Assert.True(backend.Sandboxes[sandbox.Id].Terminated);
        Assert.Equal(0, backend.Sandboxes[sandbox.Id].Wakes);
    }

    [Fact]
    public async Task An_idle_sandbox_is_suspended_and_one_with_a_running_command_is_not()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartWithIdleSuspendAsync(backend, TimeSpan.FromSeconds(2));
        var idle = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var busy = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        await h.Control.CreateExecutionAsync(ExecutionRequest(busy.Id, "sleep", "600"), CancellationToken.None);
        await backend.Sandboxes[busy.Id].NextExecutionAsync();

        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(SandboxStatus.Ready, (await h.Control.GetSandboxAsync(idle.Id, CancellationToken.None)).Status);
        h.Time.Advance(TimeSpan.FromSeconds(1.5));

        await WaitForStatusAsync(h, idle.Id, SandboxStatus.Suspended);
        Assert.Equal(SandboxStatus.Ready, (await h.Control.GetSandboxAsync(busy.Id, CancellationToken.None)).Status);
        Assert.Equal(0, backend.Sandboxes[busy.Id].Suspends);
    }

    [Fact]
    public async Task A_server_restart_records_a_suspended_sandbox_lost_rather_than_leaving_it_suspended_with_nothing_behind_it()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        await h.Control.SuspendSandboxAsync(sandbox.Id, CancellationToken.None);

        await h.RestartAsync();

        var after = await h.Control.GetSandboxAsync(sandbox.Id, CancellationToken.None);
        Assert.Equal(SandboxStatus.Failed, after.Status);
        Assert.Contains("suspended", after.FailureMessage);
        Assert.Contains(sandbox.Id, h.Control.Reconciliation.LostSandboxes);
    }

    private static async Task WaitForStatusAsync(ControlPlaneHarness h, string sandboxId, SandboxStatus status)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var e in h.Control.StreamSandboxEventsAsync(sandboxId, 0, deadline.Token))
        {
            if (e.Type == SandboxEventTypes.SandboxStatus && e.PayloadJson.Contains($"\"status\":\"{StatusNames.Of(status)}\""))
                return;
        }
    }
}
