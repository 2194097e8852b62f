using Cleanroom.ControlPlane.Snapshots;
using Cleanroom.Errors;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>
/// The snapshot RPCs. Owner scoping as for sandboxes (<see cref="SandboxAccess"/>): on a server with
/// <c>auth.required</c> a snapshot exists only for the principal that took it and for admins; anyone else gets the
/// not_found an unknown id gets.
/// </summary>
internal sealed partial class SandboxApi
{
    public override async Task<V1.CreateSnapshotResponse> CreateSnapshot(V1.CreateSnapshotRequest request, ServerCallContext context)
    {
        var id = RequireId(request.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, id);
        var snapshot = await control.CreateSnapshotAsync(id, string.IsNullOrEmpty(request.Name) ? null : request.Name, SandboxAccess.OwnerFor(context), context.CancellationToken);
        return new V1.CreateSnapshotResponse { Snapshot = ToProto(snapshot) };
    }

    public override Task<V1.ListSnapshotsResponse> ListSnapshots(V1.ListSnapshotsRequest request, ServerCallContext context)
    {
        var response = new V1.ListSnapshotsResponse();
        response.Snapshots.AddRange(control.ListSnapshots().Where(s => access.Sees(context, s.Owner)).Select(ToProto));
        return Task.FromResult(response);
    }

    public override Task<V1.GetSnapshotResponse> GetSnapshot(V1.GetSnapshotRequest request, ServerCallContext context) =>
        Task.FromResult(new V1.GetSnapshotResponse { Snapshot = ToProto(Visible(context, RequireId(request.SnapshotId, "snapshot_id"))) });

    public override Task<V1.DeleteSnapshotResponse> DeleteSnapshot(V1.DeleteSnapshotRequest request, ServerCallContext context)
    {
        var snapshot = Visible(context, RequireId(request.SnapshotId, "snapshot_id"));
        control.DeleteSnapshot(snapshot.Id);
        return Task.FromResult(new V1.DeleteSnapshotResponse { SnapshotId = snapshot.Id });
    }

    private Snapshot Visible(ServerCallContext context, string snapshotId)
    {
        var snapshot = control.GetSnapshot(snapshotId);
        return access.Sees(context, snapshot.Owner) ? snapshot : throw new CleanroomException(ErrorCode.NotFound, $"snapshot {snapshotId} does not exist");
    }

    private static V1.Snapshot ToProto(Snapshot snapshot) => new()
    {
        SnapshotId = snapshot.Id,
        Name = snapshot.Name ?? "",
        SourceSandboxId = snapshot.SourceSandboxId,
        Backend = snapshot.Backend,
        ImageRef = snapshot.ImageRef,
        PolicyHash = snapshot.PolicyHash,
        Owner = snapshot.Owner ?? "",
        CreatedAt = Timestamp.FromDateTimeOffset(snapshot.CreatedAt),
        SizeBytes = snapshot.Bytes,
    };
}
