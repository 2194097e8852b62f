using Cleanroom.Backends;
using Cleanroom.ControlPlane.Tests.Doubles;
using Cleanroom.Errors;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

public class WarmPoolTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Second_sandbox_of_the_same_spec_is_the_spare_made_after_the_first()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend, warmPoolSize: 1);

        var first = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        Assert.Equal((first.Id, true), await NextProvisionedAsync(backend));
        var (spareId, spareMade) = await NextProvisionedAsync(backend);
        Assert.True(spareMade);
        Assert.DoesNotContain(await h.Control.ListSandboxesAsync(CancellationToken.None), s => s.Id == spareId);

        var second = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);

        Assert.Equal(spareId, second.Id);
        Assert.Equal(SandboxStatus.Ready, second.Status);
        Assert.Contains(h.Control.ReadSandboxEvents(second.Id), e => e.PayloadJson.Contains("warm pool"));
        Assert.DoesNotContain(h.Control.ReadSandboxEvents(first.Id), e => e.PayloadJson.Contains("warm pool"));
        // Taking the spare starts the next one.
        Assert.True((await NextProvisionedAsync(backend)).Succeeded);
        Assert.Equal(3, backend.ProvisionCalls);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(second.Id, "echo", "hi"), CancellationToken.None);
        Assert.Equal(second.Id, execution.SandboxId);
    }

    [Fact]
    public async Task Another_spec_starts_cold_and_replaces_the_spare_of_the_old_one()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend, warmPoolSize: 1);
        await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        await NextProvisionedAsync(backend);
        var (oldSpare, _) = await NextProvisionedAsync(backend);

        var other = await h.Control.CreateSandboxAsync(SandboxRequest(policyHash: "sha256:another"), CancellationToken.None);

        Assert.NotEqual(oldSpare, other.Id);
        Assert.DoesNotContain(h.Control.ReadSandboxEvents(other.Id), e => e.PayloadJson.Contains("warm pool"));
        Assert.Equal(oldSpare, await backend.Terminated.Reader.ReadAsync().AsTask().WaitAsync(Patience));
        Assert.Equal(other.Id, (await NextProvisionedAsync(backend)).Id);
        var (newSpare, _) = await NextProvisionedAsync(backend);
        Assert.Equal(newSpare, (await h.Control.CreateSandboxAsync(SandboxRequest(policyHash: "sha256:another"), CancellationToken.None)).Id);
    }

    [Fact]
    public async Task Allow_all_and_plain_requests_never_share_a_spare()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend, warmPoolSize: 1);
        await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        await NextProvisionedAsync(backend);
        var (spare, _) = await NextProvisionedAsync(backend);

        var unenforced = await h.Control.CreateSandboxAsync(SandboxRequest(allowAll: true), CancellationToken.None);

        Assert.NotEqual(spare, unenforced.Id);
        Assert.True(unenforced.AllowAll);
    }

    [Fact]
    public async Task Shutdown_terminates_every_spare()
    {
        var backend = new ScriptedBackend();
        var h = await StartAsync(backend, warmPoolSize: 2);
        try
        {
            await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
            await NextProvisionedAsync(backend);
            var spares = new[] { (await NextProvisionedAsync(backend)).Id, (await NextProvisionedAsync(backend)).Id };

            await h.Control.DisposeAsync();

            Assert.All(spares, id => Assert.True(backend.Sandboxes[id].Terminated));
        }
        finally
        {
            await h.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_spare_that_failed_does_not_fail_the_sandbox_that_takes_it()
    {
        var backend = new ScriptedBackend
        {
            Script = call => call == 2 ? new ProvisionScript(Failure: new CleanroomException(ErrorCode.RuntimeLaunchFailed, "the host was busy")) : null,
        };
        await using var h = await StartAsync(backend, warmPoolSize: 1);
        await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        await NextProvisionedAsync(backend);
        Assert.False((await NextProvisionedAsync(backend)).Succeeded);

        var second = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);

        Assert.Equal(SandboxStatus.Ready, second.Status);
        Assert.Equal((second.Id, true), await NextProvisionedAsync(backend));
    }

    [Fact]
    public async Task Terminating_a_sandbox_whose_spare_is_still_starting_terminates_the_spare_once_it_is_up()
    {
        var spareGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var spareStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var backend = new ScriptedBackend
        {
            Script = call =>
            {
                if (call != 2)
                    return null;
                spareStarted.TrySetResult();
                return new ProvisionScript(Gate: spareGate);
            },
        };
        await using var h = await StartAsync(backend, warmPoolSize: 1);
        await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        await spareStarted.Task.WaitAsync(Patience);

        var taking = await h.Control.CreateSandboxAsync(SandboxRequest(wait: false), CancellationToken.None);
        Assert.Equal(SandboxStatus.Provisioning, taking.Status);
        var stopped = await h.Control.TerminateSandboxAsync(taking.Id, CancellationToken.None);
        Assert.Equal(SandboxStatus.Stopped, stopped.Status);

        spareGate.SetResult();
        Assert.Equal(taking.Id, await backend.Terminated.Reader.ReadAsync().AsTask().WaitAsync(Patience));
        Assert.Equal(2, backend.ProvisionCalls); // a sandbox that never became READY warms nothing
    }

    [Fact]
    public async Task Warming_up_a_spec_makes_its_first_sandbox_a_spare_and_records_nothing()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend, warmPoolSize: 1);

        await h.Control.WarmUpAsync(SandboxRequest(), CancellationToken.None);
        var (spare, made) = await NextProvisionedAsync(backend);

        Assert.True(made);
        Assert.Empty(await h.Control.ListSandboxesAsync(CancellationToken.None));
        Assert.Equal([Image], h.Control.WarmPoolImageRefs());
        Assert.Equal(spare, (await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None)).Id);
    }

    [Fact]
    public async Task Warming_up_a_policy_the_backend_cannot_enforce_fails_closed_and_starts_nothing()
    {
        var backend = new ScriptedBackend { Capabilities = Cleanroom.Backends.BackendCapabilities.None };
        await using var h = await StartAsync(backend, warmPoolSize: 1);

        var error = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.WarmUpAsync(SandboxRequest(egressAllowRules: true), CancellationToken.None));

        Assert.Equal(ErrorCode.BackendCapabilityMismatch, error.Code);
        Assert.Equal(0, backend.ProvisionCalls);
        Assert.Empty(h.Control.WarmPoolImageRefs());
    }

    [Fact]
    public async Task A_spare_taken_by_a_sandbox_whose_preparation_failed_is_terminated_not_leaked()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend, warmPoolSize: 1);
        await h.Control.WarmUpAsync(SandboxRequest(), CancellationToken.None);
        var (spare, _) = await NextProvisionedAsync(backend);

        var request = SandboxRequest() with
        {
            Prepare = (_, _) => throw new CleanroomException(ErrorCode.ImageNotFound, "the image was removed"),
        };
        var error = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.CreateSandboxAsync(request, CancellationToken.None));

        Assert.Equal(ErrorCode.ImageNotFound, error.Code);
        Assert.Equal(spare, await backend.Terminated.Reader.ReadAsync().AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task The_next_spare_starts_only_after_the_first_command_of_the_sandbox_that_became_ready()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend, warmPoolSize: 1, warmPoolRefillDelay: TimeSpan.FromHours(1));
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        Assert.Equal((sandbox.Id, true), await NextProvisionedAsync(backend));

        // Time stands still and nothing has run: the spare must not compete with the command about to come.
        Assert.Equal(1, backend.ProvisionCalls);
        var execution = await h.Control.CreateExecutionAsync(ExecutionRequest(sandbox.Id, "echo", "hi"), CancellationToken.None);
        var process = await backend.Sandboxes[sandbox.Id].NextExecutionAsync().WaitAsync(Patience);
        Assert.Equal(1, backend.ProvisionCalls);
        process.Exit(ExitStatus.Exited(0));
        await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None).WaitAsync(Patience);

        var (spareId, spareMade) = await NextProvisionedAsync(backend);
        Assert.True(spareMade);
        Assert.Equal(spareId, (await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None)).Id);
    }

    [Fact]
    public async Task A_sandbox_that_runs_nothing_gets_its_spare_after_the_refill_delay()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend, warmPoolSize: 1, warmPoolRefillDelay: TimeSpan.FromSeconds(2));
        var sandbox = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        Assert.Equal((sandbox.Id, true), await NextProvisionedAsync(backend));
        Assert.Equal(1, backend.ProvisionCalls);

        h.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.True((await NextProvisionedAsync(backend)).Succeeded);
        Assert.Equal(2, backend.ProvisionCalls);
    }

    private static async Task<(string Id, bool Succeeded)> NextProvisionedAsync(ScriptedBackend backend) =>
        await backend.Provisioned.Reader.ReadAsync().AsTask().WaitAsync(Patience);
}
