using Cleanroom.ControlPlane.Tests.Doubles;
using Cleanroom.Errors;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

public class EnsureSandboxTests
{
    [Fact]
    public async Task Concurrent_ensures_with_one_key_get_one_sandbox_while_it_provisions()
    {
        // Provisioning held open: every ensure arrives while the first sandbox is still PROVISIONING.
        var backend = new ScriptedBackend { ProvisionGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var h = await StartAsync(backend);

        var ensures = Enumerable.Range(0, 8)
            .Select(_ => Task.Run(() => h.Control.CreateSandboxAsync(SandboxRequest() with { EnsureKey = "thread-42" }, CancellationToken.None)))
            .ToArray();
        await backend.ProvisionStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        backend.ProvisionGate.SetResult();
        var sandboxes = await Task.WhenAll(ensures).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Single(sandboxes.Select(s => s.Id).Distinct());
        Assert.All(sandboxes, s => Assert.Equal(SandboxStatus.Ready, s.Status));
        Assert.Equal(1, backend.ProvisionCalls);
        var recorded = Assert.Single(await h.Control.ListSandboxesAsync(CancellationToken.None));
        Assert.Equal("thread-42", recorded.Labels[CreateSandboxRequest.EnsureKeyLabel]);
        Assert.Equal("example", recorded.Labels["repo"]);
    }

    [Fact]
    public async Task Ensure_with_another_key_or_after_termination_makes_a_new_sandbox()
    {
        await using var h = await StartAsync(new ScriptedBackend());

        var first = await h.Control.CreateSandboxAsync(SandboxRequest() with { EnsureKey = "a" }, CancellationToken.None);
        var other = await h.Control.CreateSandboxAsync(SandboxRequest() with { EnsureKey = "b" }, CancellationToken.None);
        var again = await h.Control.CreateSandboxAsync(SandboxRequest() with { EnsureKey = "a" }, CancellationToken.None);
        await h.Control.TerminateSandboxAsync(first.Id, CancellationToken.None);
        var afterStop = await h.Control.CreateSandboxAsync(SandboxRequest() with { EnsureKey = "a" }, CancellationToken.None);

        Assert.NotEqual(first.Id, other.Id);
        Assert.Equal(first.Id, again.Id);
        Assert.NotEqual(first.Id, afterStop.Id);
        Assert.Equal(SandboxStatus.Ready, afterStop.Status);
    }

    [Fact]
    public async Task Ensure_key_of_a_sandbox_with_another_policy_is_ensure_key_conflict()
    {
        await using var h = await StartAsync(new ScriptedBackend());
        var first = await h.Control.CreateSandboxAsync(SandboxRequest() with { EnsureKey = "k" }, CancellationToken.None);

        var policy = await Assert.ThrowsAsync<CleanroomException>(() =>
            h.Control.CreateSandboxAsync(SandboxRequest(policyHash: "sha256:other") with { EnsureKey = "k" }, CancellationToken.None));
        var allowAll = await Assert.ThrowsAsync<CleanroomException>(() =>
            h.Control.CreateSandboxAsync(SandboxRequest(allowAll: true) with { EnsureKey = "k" }, CancellationToken.None));

        Assert.Equal(ErrorCode.EnsureKeyConflict, policy.Code);
        Assert.Contains(first.Id, policy.Message);
        Assert.Equal(ErrorCode.EnsureKeyConflict, allowAll.Code);
        Assert.Single(await h.Control.ListSandboxesAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Reserved_label_names_and_blank_keys_are_refused()
    {
        await using var h = await StartAsync(new ScriptedBackend());

        var reserved = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.CreateSandboxAsync(SandboxRequest() with
        {
            Labels = new Dictionary<string, string> { [CreateSandboxRequest.EnsureKeyLabel] = "forged" },
        }, CancellationToken.None));
        var blank = await Assert.ThrowsAsync<CleanroomException>(() =>
            h.Control.CreateSandboxAsync(SandboxRequest() with { EnsureKey = "  " }, CancellationToken.None));

        Assert.Equal(ErrorCode.InvalidArgument, reserved.Code);
        Assert.Equal(ErrorCode.InvalidArgument, blank.Code);
        Assert.Empty(await h.Control.ListSandboxesAsync(CancellationToken.None));
    }
}
