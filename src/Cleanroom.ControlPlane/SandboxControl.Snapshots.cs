using Cleanroom.Backends;
using Cleanroom.ControlPlane.Snapshots;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.ControlPlane;

/// <summary>
/// Snapshots (issue 20 point 3): a snapshot is taken of a suspended sandbox's state (a READY one is suspended for it and
/// woken again after), copied by its backend into the snapshot store; new sandboxes start from it with their own ids and
/// networks, only under the policy hash it was taken under. Owner scoping of the listing is the API layer's, as for
/// sandboxes; a create from another principal's snapshot is not_found here.
/// </summary>
public sealed partial class SandboxControl
{
    /// <summary>Takes a snapshot of a READY or SUSPENDED sandbox; it ends as it was (READY again, or still SUSPENDED).</summary>
    public async Task<Snapshot> CreateSnapshotAsync(string sandboxId, string? name, string? owner, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var sandbox = RequireSandbox(sandboxId);
        var live = RequireUsable(sandboxId);
        bool wasReady;
        lock (live.Gate)
            wasReady = live.Status == SandboxStatus.Ready;
        await SuspendSandboxAsync(sandboxId, cancellationToken).ConfigureAwait(false);
        try
        {
            ISuspendedSandbox suspended;
            lock (live.Gate)
            {
                suspended = live.Status == SandboxStatus.Suspended && live.Suspended is { } s ? s
                    : throw new CleanroomException(ErrorCode.SuspendFailed, $"sandbox {sandboxId} is {StatusNames.Of(live.Status)}; it was not suspended for the snapshot");
            }
            if (suspended is not ISnapshotSource source)
                throw new CleanroomException(ErrorCode.BackendCapabilityMismatch, $"backend '{live.Backend?.Name}' cannot take snapshots");
            var staged = _snapshots.Stage();
            try
            {
                await source.WriteSnapshotAsync(staged, cancellationToken).ConfigureAwait(false);
                var snapshot = _snapshots.Commit(staged, (id, bytes) => new Snapshot(
                    id, name, sandboxId, live.Backend!.Name, sandbox.ImageRef, sandbox.Policy.Hash, owner, _time.GetUtcNow(), bytes));
                _logger.LogInformation("snapshot {SnapshotId} of sandbox {SandboxId} stored ({Bytes} bytes)", snapshot.Id, sandboxId, snapshot.Bytes);
                return snapshot;
            }
            catch
            {
                if (Directory.Exists(staged))
                    Directory.Delete(staged, recursive: true);
                throw;
            }
        }
        finally
        {
            if (wasReady)
                await WakeAfterSnapshotAsync(live).ConfigureAwait(false);
        }
    }

    /// <summary>A sandbox that was READY is woken again; a failed wake is recorded on it (FAILED, wake_failed), not thrown over the snapshot's outcome.</summary>
    private async Task WakeAfterSnapshotAsync(LiveSandbox live)
    {
        try
        {
            await AwakeAsync(live, "woken after a snapshot", CancellationToken.None).ConfigureAwait(false);
        }
        catch (CleanroomException e)
        {
            _logger.LogWarning("sandbox {SandboxId} did not wake after its snapshot: {Reason}", live.Id, e.Message);
        }
    }

    public IReadOnlyList<Snapshot> ListSnapshots()
    {
        EnsureOpen();
        return _snapshots.List();
    }

    /// <summary>The snapshot, or <c>not_found</c> (also for a malformed id).</summary>
    public Snapshot GetSnapshot(string snapshotId)
    {
        EnsureOpen();
        return _snapshots.Find(snapshotId) ?? throw new CleanroomException(ErrorCode.NotFound, $"snapshot {snapshotId} does not exist");
    }

    /// <summary>Where a snapshot's files are on the host (for <c>system df</c>).</summary>
    public string SnapshotPath(string snapshotId) => _snapshots.DirectoryOf(snapshotId);

    public void DeleteSnapshot(string snapshotId)
    {
        EnsureOpen();
        if (!_snapshots.Remove(snapshotId))
            throw new CleanroomException(ErrorCode.NotFound, $"snapshot {snapshotId} does not exist");
    }

    /// <summary>
    /// The directory a sandbox created with <see cref="CreateSandboxRequest.FromSnapshot"/> starts from, after the checks
    /// that keep a snapshot from widening anything: it exists and is the caller's, on the backend asked for, and its
    /// policy hash is the request's.
    /// </summary>
    private string ResolveSnapshotFor(CreateSandboxRequest request, string snapshotId)
    {
        var snapshot = _snapshots.Find(snapshotId);
        if (snapshot is null || (snapshot.Owner is not null && snapshot.Owner != request.Owner))
            throw new CleanroomException(ErrorCode.NotFound, $"snapshot {snapshotId} does not exist");
        if (snapshot.PolicyHash != request.Policy.Hash)
        {
            throw new CleanroomException(ErrorCode.SnapshotPolicyMismatch,
                $"snapshot {snapshotId} was taken under policy {snapshot.PolicyHash}, not the request's {request.Policy.Hash}; a snapshot starts sandboxes only under its own policy");
        }
        if (request.Backend is { } backend && backend != snapshot.Backend)
            throw new CleanroomException(ErrorCode.BackendCapabilityMismatch, $"snapshot {snapshotId} is of a {snapshot.Backend} sandbox; it cannot start a {backend} one");
        if (snapshot.ImageRef != request.ImageRef)
            throw new CleanroomException(ErrorCode.SnapshotPolicyMismatch, $"snapshot {snapshotId} is of image {snapshot.ImageRef}, not the request's {request.ImageRef}");
        return _snapshots.DirectoryOf(snapshot.Id);
    }
}
