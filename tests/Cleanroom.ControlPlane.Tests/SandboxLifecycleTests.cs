using Cleanroom.Backends;
using Cleanroom.ControlPlane.Tests.Doubles;
using Cleanroom.Errors;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

public class SandboxLifecycleTests
{
    [Fact]
    public async Task Created_sandbox_becomes_ready_and_records_what_was_asked()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);

        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);

        Assert.Equal(SandboxStatus.Ready, sandbox.Status);
        Assert.Matches("^sb-[a-z2-7]{12}$", sandbox.Id);
        Assert.Equal("scripted", sandbox.Backend);
        Assert.Equal(Image, sandbox.ImageRef);
        Assert.Equal("sha256:policyhash", sandbox.Policy.Hash);
        Assert.Equal("example", sandbox.Labels["repo"]);
        Assert.Equal(h.Time.GetUtcNow(), sandbox.CreatedAt);
        Assert.True(backend.Sandboxes.ContainsKey(sandbox.Id));
    }

    [Fact]
    public async Task Capability_mismatch_fails_closed_before_provisioning()
    {
        var backend = new ScriptedBackend { Capabilities = BackendCapabilities.None.With(CapabilityNames.NetworkDefaultDeny, true) };
        await using var h = await StartAsync(backend);

        var ex = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.CreateSandboxAsync(SandboxRequest(egressAllowRules: true), CancellationToken.None));

        Assert.Equal(ErrorCode.BackendCapabilityMismatch, ex.Code);
        Assert.Contains(CapabilityNames.NetworkEgressAllowlist, ex.Message);
        Assert.Equal(0, backend.ProvisionCalls);
        var recorded = Assert.Single(await h.Control.ListSandboxesAsync(CancellationToken.None));
        Assert.Equal(SandboxStatus.Failed, recorded.Status);
        Assert.Equal(ErrorCode.BackendCapabilityMismatch, recorded.FailureCode);
    }

    [Fact]
    public async Task Unknown_backend_fails_with_backend_unavailable_and_is_recorded_failed()
    {
        await using var h = await StartAsync(new ScriptedBackend());

        var ex = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.CreateSandboxAsync(SandboxRequest(backend: "firecracker"), CancellationToken.None));

        Assert.Equal(ErrorCode.BackendUnavailable, ex.Code);
        var recorded = Assert.Single(await h.Control.ListSandboxesAsync(CancellationToken.None));
        Assert.Equal(SandboxStatus.Failed, recorded.Status);
        Assert.Equal(ErrorCode.BackendUnavailable, recorded.FailureCode);
        Assert.Equal("firecracker", recorded.Backend);
    }

    [Fact]
    public async Task Unusable_backend_fails_with_the_probe_reason_and_never_provisions()
    {
        var backend = new ScriptedBackend { Health = BackendHealth.Unusable("runsc is not installed") };
        await using var h = await StartAsync(backend);

        var ex = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None));

        Assert.Equal(ErrorCode.BackendUnavailable, ex.Code);
        Assert.Contains("runsc is not installed", ex.Message);
        Assert.Equal(0, backend.ProvisionCalls);
    }

    [Fact]
    public async Task Provisioning_failure_is_recorded_with_its_code_and_reported_to_the_waiter()
    {
        var backend = new ScriptedBackend { ProvisionFailure = new CleanroomException(ErrorCode.RuntimeLaunchFailed, "runsc create: exit 1") };
        await using var h = await StartAsync(backend);

        var ex = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None));

        Assert.Equal(ErrorCode.RuntimeLaunchFailed, ex.Code);
        var recorded = Assert.Single(await h.Control.ListSandboxesAsync(CancellationToken.None));
        Assert.Equal(SandboxStatus.Failed, recorded.Status);
        Assert.Equal("runsc create: exit 1", recorded.FailureMessage);
    }

    [Fact]
    public async Task Create_without_waiting_returns_provisioning_and_readiness_can_be_awaited()
    {
        var backend = new ScriptedBackend { ProvisionGate = new TaskCompletionSource() };
        await using var h = await StartAsync(backend);

        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false), CancellationToken.None);
        Assert.Equal(SandboxStatus.Provisioning, sandbox.Status);

        var ready = h.Control.WaitUntilReadyAsync(sandbox.Id, CancellationToken.None);
        await backend.ProvisionStarted.Task;
        Assert.False(ready.IsCompleted);
        backend.ProvisionGate.SetResult();

        Assert.Equal(SandboxStatus.Ready, (await ready).Status);
    }

    [Fact]
    public async Task Terminate_stops_the_sandbox_removes_it_in_the_backend_and_is_idempotent()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);

        var stopped = await h.Control.TerminateSandboxAsync(sandbox.Id, CancellationToken.None);
        var again = await h.Control.TerminateSandboxAsync(sandbox.Id, CancellationToken.None);

        Assert.Equal(SandboxStatus.Stopped, stopped.Status);
        Assert.Equal(SandboxStatus.Stopped, again.Status);
        Assert.True(backend.Sandboxes[sandbox.Id].Terminated);
        Assert.Null(stopped.FailureMessage);
    }

    [Fact]
    public async Task Terminate_while_provisioning_cancels_provisioning_and_ends_stopped()
    {
        var backend = new ScriptedBackend { ProvisionGate = new TaskCompletionSource() };
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false), CancellationToken.None);
        await backend.ProvisionStarted.Task;

        var stopped = await h.Control.TerminateSandboxAsync(sandbox.Id, CancellationToken.None);

        Assert.Equal(SandboxStatus.Stopped, stopped.Status);
        Assert.True(backend.ProvisionCanceled.Task.IsCompleted);
        var waiter = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.WaitUntilReadyAsync(sandbox.Id, CancellationToken.None));
        Assert.Equal(ErrorCode.InvalidArgument, waiter.Code);
    }

    [Fact]
    public async Task Terminate_cancels_running_executions()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "sleep", "1000"), CancellationToken.None);
        Assert.Equal(ExecutionStatus.Running, execution.Status);

        await h.Control.TerminateSandboxAsync(sandbox.Id, CancellationToken.None);

        var ended = await h.Control.GetExecutionAsync(execution.Id, CancellationToken.None);
        Assert.Equal(ExecutionStatus.Canceled, ended.Status);
        Assert.Equal(137, ended.ExitCode);
        Assert.Equal("the sandbox was terminated", ended.FailureMessage);
    }

    [Fact]
    public async Task Executions_need_a_ready_sandbox()
    {
        await using var h = await StartAsync(new ScriptedBackend());
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        await h.Control.TerminateSandboxAsync(sandbox.Id, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id), CancellationToken.None));

        Assert.Equal(ErrorCode.InvalidArgument, ex.Code);
        Assert.Contains("STOPPED", ex.Message);
    }

    [Fact]
    public async Task Unknown_ids_are_not_found()
    {
        await using var h = await StartAsync(new ScriptedBackend());
        var ct = CancellationToken.None;
        async Task NotFound(Func<Task> call) => Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<CleanroomException>(call)).Code);

        await NotFound(() => h.Control.GetSandboxAsync("sb-aaaaaaaaaaaa", ct));
        await NotFound(() => h.Control.TerminateSandboxAsync("sb-aaaaaaaaaaaa", ct));
        await NotFound(() => h.Control.CreateExecutionAsync(ExecutionRequest("sb-aaaaaaaaaaaa"), ct));
        await NotFound(() => h.Control.GetExecutionAsync("ex-aaaaaaaaaaaa", ct));
        await NotFound(() => h.Control.CancelExecutionAsync("ex-aaaaaaaaaaaa", ct));
        await NotFound(async () => { await foreach (var _ in h.Control.StreamExecutionAsync("ex-aaaaaaaaaaaa", ct)) { } });
        await NotFound(async () => { await foreach (var _ in h.Control.StreamSandboxEventsAsync("sb-aaaaaaaaaaaa", 0, ct)) { } });
    }

    [Fact]
    public async Task Image_reference_must_be_digest_pinned()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);

        var ex = await Assert.ThrowsAsync<CleanroomException>(() =>
            h.Control.CreateSandboxAsync(SandboxRequest() with { ImageRef = "alpine:latest" }, CancellationToken.None));

        Assert.Equal(ErrorCode.InvalidArgument, ex.Code);
        Assert.Empty(await h.Control.ListSandboxesAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Files_download_from_a_ready_sandbox_only_when_the_backend_can()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        backend.Sandboxes[sandbox.Id].Files["/workspace/report.txt"] = "all green";

        using (var reader = new StreamReader(await h.Control.OpenFileAsync(sandbox.Id, "/workspace/report.txt", CancellationToken.None)))
            Assert.Equal("all green", await reader.ReadToEndAsync());

        backend.Capabilities = backend.Capabilities.With(CapabilityNames.FileDownload, false);
        var ex = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.OpenFileAsync(sandbox.Id, "/workspace/report.txt", CancellationToken.None));
        Assert.Equal(ErrorCode.BackendCapabilityMismatch, ex.Code);
    }

    [Fact]
    public async Task A_second_server_cannot_open_the_same_state_directory()
    {
        await using var h = await StartAsync(new ScriptedBackend());

        var ex = await Assert.ThrowsAsync<StateDirectoryInUseException>(() => SandboxControl.OpenAsync(h.Options, h.Registry));

        Assert.Equal(ErrorCode.ConfigInvalid, ex.Code);
        Assert.Contains("in use", ex.Message);
    }
}
