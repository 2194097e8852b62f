using Cleanroom.ControlPlane.Tests.Doubles;
using Cleanroom.Errors;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

public class EnsureSandboxTests
{
    [Fact]
    public async Task Concurrent_ensures_with_one_key_get_one_sandbox_while_it_provisions()
    {
        // Provisioning held open: every ensure arrives while the first sandbox of its key is still PROVISIONING.
        var backend = new ScriptedBackend { ProvisionGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var h = await StartAsync(backend);
        // Other sandboxes make each look-up take a while (it reads them all), which widens the window a race needs.
        for (var i = 0; i < 150; i++)
            await h.Control.CreateSandboxAsync(SandboxRequest(wait: false), CancellationToken.None);
        const int keys = 25, callersPerKey = 8;
        // All callers released at once, so look-ups and inserts of one key interleave unless the control plane serialises them.
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ensures = Enumerable.Range(0, keys * callersPerKey).Select(i => Task.Run(async () =>
        {
            await go.Task;
            return await h.Control.CreateSandboxAsync(SandboxRequest() with { EnsureKey = $"thread-{i / callersPerKey}" }, CancellationToken.None);
        })).ToArray();
        go.SetResult();
        await backend.ProvisionStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        backend.ProvisionGate.SetResult();
        var sandboxes = await Task.WhenAll(ensures).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(sandboxes, s => Assert.Equal(SandboxStatus.Ready, s.Status));
        Assert.Equal(keys, sandboxes.Select(s => s.Id).Distinct().Count());
        Assert.All(sandboxes.GroupBy(s => s.Labels[CreateSandboxRequest.EnsureKeyLabel]), group => Assert.Single(group.Select(s => s.Id).Distinct()));
        var recorded = (await h.Control.ListSandboxesAsync(CancellationToken.None))
            .Where(r => r.Labels.ContainsKey(CreateSandboxRequest.EnsureKeyLabel)).ToList();
        Assert.Equal(keys, recorded.Count);
        Assert.All(recorded, r => Assert.Equal("example", r.Labels["repo"]));
    }

    [Fact]
    public async Task Ensure_keys_are_per_owner_and_the_owner_is_recorded_durably()
    {
        await using var h = await StartAsync(new ScriptedBackend());

        var alices = await h.Control.CreateSandboxAsync(SandboxRequest() with { EnsureKey = "k", Owner = "alice" }, CancellationToken.None);
        var bobs = await h.Control.CreateSandboxAsync(SandboxRequest() with { EnsureKey = "k", Owner = "bob" }, CancellationToken.None);
        var alicesAgain = await h.Control.CreateSandboxAsync(SandboxRequest() with { EnsureKey = "k", Owner = "alice" }, CancellationToken.None);

        Assert.NotEqual(alices.Id, bobs.Id);
        Assert.Equal(alices.Id, alicesAgain.Id);
        Assert.Equal("alice", (await h.Control.GetSandboxAsync(alices.Id, CancellationToken.None)).Owner);
        Assert.Equal("bob", (await h.Control.ListSandboxesAsync(CancellationToken.None)).Single(s => s.Id == bobs.Id).Owner);
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
