using Cleanroom.Server.Storage;
using Grpc.Core;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>cleanroom.v1.SystemService: the host's storage as this server holds it (<c>system df</c>, <c>system prune</c>).</summary>
internal sealed class SystemApi(HostStorage storage, SandboxAccess access) : V1.SystemService.SystemServiceBase
{
    public override async Task<V1.GetDiskUsageResponse> GetDiskUsage(V1.GetDiskUsageRequest request, ServerCallContext context)
    {
        access.RequireAdmin(context, "the host's storage");
        var response = new V1.GetDiskUsageResponse();
        response.Items.AddRange((await storage.UsageAsync(context.CancellationToken)).Select(ToProto));
        return response;
    }

    public override async Task<V1.PruneResponse> Prune(V1.PruneRequest request, ServerCallContext context)
    {
        access.RequireAdmin(context, "pruning the host's storage");
        var removed = await storage.PruneAsync(request.DryRun, request.All, context.CancellationToken);
        var response = new V1.PruneResponse { DryRun = request.DryRun, ReclaimedBytes = (ulong)removed.Sum(i => i.SizeBytes) };
        response.Removed.AddRange(removed.Select(ToProto));
        return response;
    }

    private static V1.StorageItem ToProto(StorageItem item) => new()
    {
        Category = item.Category,
        Name = item.Name,
        Path = item.Path,
        SizeBytes = (ulong)item.SizeBytes,
        InUse = item.InUse,
    };
}
