using Cleanroom.ControlPlane.Tests.Doubles;
using Cleanroom.Errors;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

/// <summary>Snapshots in the control plane: taken, listed, started from under the same policy only, owned, kept across a restart.</summary>
public class SnapshotTests
{
    [Fact]
    public async Task Two_sandboxes_from_one_snapshot_each_get_its_state_and_the_source_is_ready_again()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var source = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        backend.Sandboxes[source.Id].Files["/root/file"] = "kept";

        var snapshot = await h.Control.CreateSnapshotAsync(source.Id, "deps", owner: null, CancellationToken.None);

        Assert.StartsWith("snap-", snapshot.Id);
        Assert.Equal(("deps", source.Id, "sha256:policyhash"), (snapshot.Name, snapshot.SourceSandboxId, snapshot.PolicyHash));
        Assert.Equal(SandboxStatus.Ready, (await h.Control.GetSandboxAsync(source.Id, CancellationToken.None)).Status);
        var first = await h.Control.CreateSandboxAsync(SandboxRequest() with { FromSnapshot = snapshot.Id }, CancellationToken.None);
        var second = await h.Control.CreateSandboxAsync(SandboxRequest() with { FromSnapshot = snapshot.Id }, CancellationToken.None);
        Assert.Equal(SandboxStatus.Ready, first.Status);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal("kept", backend.Sandboxes[first.Id].Files["/root/file"]);
        Assert.Equal("kept", backend.Sandboxes[second.Id].Files["/root/file"]);
        backend.Sandboxes[first.Id].Files["/root/file"] = "changed";
        Assert.Equal("kept", backend.Sandboxes[second.Id].Files["/root/file"]);
        Assert.Equal([snapshot.Id], h.Control.ListSnapshots().Select(s => s.Id));
    }

    [Fact]
    public async Task A_snapshot_under_another_policy_hash_is_refused_and_records_no_sandbox()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var source = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var snapshot = await h.Control.CreateSnapshotAsync(source.Id, null, null, CancellationToken.None);
        var before = (await h.Control.ListSandboxesAsync(CancellationToken.None)).Count;

        var refused = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.CreateSandboxAsync(
            SandboxRequest(policyHash: "sha256:wider") with { FromSnapshot = snapshot.Id }, CancellationToken.None));

        Assert.Equal(ErrorCode.SnapshotPolicyMismatch, refused.Code);
        Assert.Equal(before, (await h.Control.ListSandboxesAsync(CancellationToken.None)).Count);
    }

    [Theory]
    [InlineData("snap-000000000000000000000000")]
    [InlineData("../../etc")]
    public async Task An_unknown_or_malformed_snapshot_id_is_not_found(string id)
    {
        await using var h = await StartAsync(new ScriptedBackend());

        var refused = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.CreateSandboxAsync(SandboxRequest() with { FromSnapshot = id }, CancellationToken.None));

        Assert.Equal(ErrorCode.NotFound, refused.Code);
        Assert.Equal(ErrorCode.NotFound, Assert.Throws<CleanroomException>(() => h.Control.DeleteSnapshot(id)).Code);
    }

    [Fact]
    public async Task Another_principals_snapshot_is_not_found_for_a_create()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var source = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        var snapshot = await h.Control.CreateSnapshotAsync(source.Id, null, "alice", CancellationToken.None);

        var refused = await Assert.ThrowsAsync<CleanroomException>(() => h.Control.CreateSandboxAsync(
            SandboxRequest() with { FromSnapshot = snapshot.Id, Owner = "bob" }, CancellationToken.None));

        Assert.Equal(ErrorCode.NotFound, refused.Code);
        Assert.Equal(SandboxStatus.Ready, (await h.Control.CreateSandboxAsync(SandboxRequest() with { FromSnapshot = snapshot.Id, Owner = "alice" }, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Snapshots_survive_a_restart_and_are_removed_by_delete()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var source = await h.Control.CreateSandboxAsync(SandboxRequest(), CancellationToken.None);
        backend.Sandboxes[source.Id].Files["/root/file"] = "kept";
        var snapshot = await h.Control.CreateSnapshotAsync(source.Id, "n", null, CancellationToken.None);

        await h.RestartAsync();

        Assert.Equal(snapshot, h.Control.GetSnapshot(snapshot.Id));
        h.Control.DeleteSnapshot(snapshot.Id);
        Assert.Empty(h.Control.ListSnapshots());
        Assert.Equal(ErrorCode.NotFound, Assert.Throws<CleanroomException>(() => h.Control.GetSnapshot(snapshot.Id)).Code);
    }
}
