using Cleanroom.ControlPlane.Tests.Doubles;
using Cleanroom.Errors;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

/// <summary>The Prepare step (the server's image pull) runs while the sandbox is PROVISIONING, before the backend.</summary>
public sealed class ProvisioningPreparationTests
{
    [Fact]
    public async Task Preparation_runs_before_the_backend_and_its_events_are_on_the_stream_before_ready()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var gate = new TaskCompletionSource();
        var request = SandboxRequest(wait: false) with
        {
            Prepare = async (id, ct) =>
            {
                h.Control.RecordEvent(id, SandboxEventTypes.ImagePull, """{"stage":"started","message":"pulling"}""");
                await gate.Task.WaitAsync(ct);
            },
        };

        var sandbox = await h.Control.CreateSandboxAsync(request, CancellationToken.None);
        Assert.Equal(SandboxStatus.Provisioning, sandbox.Status);
        Assert.False(backend.ProvisionStarted.Task.IsCompleted);
        gate.SetResult();
        var ready = await h.Control.WaitUntilReadyAsync(sandbox.Id, CancellationToken.None);

        Assert.Equal(SandboxStatus.Ready, ready.Status);
        var types = h.Control.ReadSandboxEvents(sandbox.Id).Select(e => e.Type).ToList();
        Assert.True(types.IndexOf(SandboxEventTypes.ImagePull) >= 0, string.Join(", ", types));
        Assert.True(types.IndexOf(SandboxEventTypes.ImagePull) < types.LastIndexOf(SandboxEventTypes.SandboxStatus));
    }

    [Fact]
    public async Task A_failed_preparation_fails_the_sandbox_with_its_code_and_never_reaches_the_backend()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var request = SandboxRequest(wait: false) with
        {
            Prepare = (_, _) => throw new CleanroomException(ErrorCode.ImageNotFound, "image x was not found in registry y"),
        };

        var sandbox = await h.Control.CreateSandboxAsync(request, CancellationToken.None);
        var failure = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.WaitUntilReadyAsync(sandbox.Id, CancellationToken.None));

        Assert.Equal(ErrorCode.ImageNotFound, failure.Code);
        var recorded = await h.Control.GetSandboxAsync(sandbox.Id, CancellationToken.None);
        Assert.Equal(SandboxStatus.Failed, recorded.Status);
        Assert.Equal(ErrorCode.ImageNotFound, recorded.FailureCode);
        Assert.False(backend.ProvisionStarted.Task.IsCompleted);
        Assert.Empty(backend.Sandboxes);
    }

    [Fact]
    public async Task Terminating_during_preparation_cancels_it_and_ends_stopped()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var preparing = new TaskCompletionSource();
        var canceled = new TaskCompletionSource();
        var request = SandboxRequest(wait: false) with
        {
            Prepare = async (_, ct) =>
            {
                await using var registration = ct.Register(() => canceled.TrySetResult());
                preparing.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            },
        };
        var sandbox = await h.Control.CreateSandboxAsync(request, CancellationToken.None);
        await preparing.Task;

        var stopped = await h.Control.TerminateSandboxAsync(sandbox.Id, CancellationToken.None);

        Assert.Equal(SandboxStatus.Stopped, stopped.Status);
        Assert.True(canceled.Task.IsCompleted);
        Assert.False(backend.ProvisionStarted.Task.IsCompleted);
    }
}
