using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Cleanroom.Workspace;
using Grpc.Core;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>
/// cleanroom.v1.WorkspaceService: tree copies into and out of READY sandboxes (the agent does the
/// work inside), and the workspace record of repository-aware sandboxes, whose baseline is computed
/// here from what actually went in, not taken from the client's word.
/// </summary>
internal sealed class WorkspaceApi(SandboxControl control, ServerSettings settings, SandboxAccess access) : V1.WorkspaceService.WorkspaceServiceBase
{
    private static readonly string[] ExcludedFromWorkspace = [".git"];

    public override async Task<V1.UploadSandboxArchiveResponse> UploadSandboxArchive(IAsyncStreamReader<V1.UploadSandboxArchiveRequest> requestStream, ServerCallContext context)
    {
        var token = context.CancellationToken;
        if (!await requestStream.MoveNext(token))
            throw new CleanroomException(ErrorCode.InvalidArgument, "the upload is empty: the first message must name sandbox_id and path");
        var header = requestStream.Current;
        var id = SandboxApi.RequireId(header.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, id);
        var guestPath = RequireAbsolute(header.Path);
        // A sandbox whose workspace follows its create is written to before it is READY (this waits until it started).
        var tree = await control.FileTreeAsync(id, token);

        // Spooled to a private file first: the archive is checked (and the baseline computed) before one
        // byte of it reaches the sandbox, so a refused archive leaves the sandbox untouched.
        var spool = Path.Combine(settings.SpoolDirectory, $"upload-{Guid.NewGuid():N}.tar");
        Directory.CreateDirectory(settings.SpoolDirectory);
        try
        {
            long bytes = 0;
            await using (var file = new FileStream(spool, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                var message = header;
                while (true)
                {
                    bytes += message.Data.Length;
                    if (bytes > settings.MaxTransferBytes)
                        throw new CleanroomException(ErrorCode.TooLarge, $"the archive is larger than the server's limit of {settings.MaxTransferBytes} bytes");
                    await file.WriteAsync(message.Data.Memory, token);
                    if (!await requestStream.MoveNext(token))
                        break;
                    message = requestStream.Current;
                }
            }
            IReadOnlyList<(string Path, WorkspaceEntry? Entry)> updates;
            await using (var file = File.OpenRead(spool))
                updates = await WorkspaceArchive.ScanAsync(file, token);
            await using (var file = File.OpenRead(spool))
                await tree.WriteArchiveAsync(guestPath, file, token);

            if (header.Workspace is { } origin)
                RecordUpload(id, guestPath, origin, updates);
            return new V1.UploadSandboxArchiveResponse { Bytes = bytes, Entries = updates.Count };
        }
        finally
        {
            File.Delete(spool);
        }
    }

    public override async Task<V1.CompleteWorkspaceResponse> CompleteWorkspace(V1.CompleteWorkspaceRequest request, ServerCallContext context)
    {
        var id = SandboxApi.RequireId(request.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, id);
        control.CompleteWorkspace(id);
        return new V1.CompleteWorkspaceResponse();
    }

    public override async Task DownloadSandboxArchive(V1.DownloadSandboxArchiveRequest request, IServerStreamWriter<V1.DownloadSandboxArchiveResponse> responseStream, ServerCallContext context)
    {
        var id = SandboxApi.RequireId(request.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, id);
        var limit = request.MaxBytes <= 0 ? settings.MaxTransferBytes : Math.Min(request.MaxBytes, settings.MaxTransferBytes);
        var path = RequireAbsolute(request.Path);
        var tree = control.FileTree(id);
        await using var archive = await tree.ReadArchiveAsync(path, request.Members.ToList(), context.CancellationToken);
        var buffer = new byte[256 * 1024];
        long total = 0;
        int read;
        while ((read = await archive.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, context.CancellationToken)) > 0)
        {
            total += read;
            // A sandbox can produce endless data (a growing file, a huge tree): cut it off, loudly.
            if (total > limit)
                throw new CleanroomException(ErrorCode.TooLarge, $"{request.Path} in sandbox {id} is more than {limit} bytes as an archive");
            await responseStream.WriteAsync(new V1.DownloadSandboxArchiveResponse { Data = Google.Protobuf.ByteString.CopyFrom(buffer, 0, read) }, context.CancellationToken);
        }
    }

    public override async Task<V1.ListSandboxTreeResponse> ListSandboxTree(V1.ListSandboxTreeRequest request, ServerCallContext context)
    {
        var id = SandboxApi.RequireId(request.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, id);
        var max = request.MaxEntries == 0 ? settings.MaxTreeEntries : Math.Min(request.MaxEntries, settings.MaxTreeEntries);
        var response = new V1.ListSandboxTreeResponse();
        var path = RequireAbsolute(request.Path);
        await foreach (var entry in control.FileTree(id).ListTreeAsync(path, request.ExcludedNames.ToList(), max, context.CancellationToken))
            response.Entries.Add(WorkspaceMapping.ToProto(entry));
        return response;
    }

    public override async Task<V1.GetWorkspaceChangesResponse> GetWorkspaceChanges(V1.GetWorkspaceChangesRequest request, ServerCallContext context)
    {
        var id = SandboxApi.RequireId(request.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, id);
        var record = RequireWorkspace(id);
        var listing = new List<Backends.GuestTreeEntry>();
        await foreach (var entry in control.FileTree(id).ListTreeAsync(record.GuestPath, ExcludedFromWorkspace, settings.MaxTreeEntries, context.CancellationToken))
            listing.Add(entry);
        var response = new V1.GetWorkspaceChangesResponse { Workspace = WorkspaceMapping.ToProto(record) };
        foreach (var change in WorkspaceComparison.Compare(record.Baseline, listing))
            response.Changes.Add(WorkspaceMapping.ToProto(change));
        return response;
    }

    public override async Task<V1.AcceptWorkspaceChangesResponse> AcceptWorkspaceChanges(V1.AcceptWorkspaceChangesRequest request, ServerCallContext context)
    {
        var id = SandboxApi.RequireId(request.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, id);
        var record = RequireWorkspace(id);
        var updates = request.Files.Select(f => (f.Path, (WorkspaceEntry?)WorkspaceMapping.FromProto(f)))
            .Concat(request.DeletedPaths.Select(p => (WorkspacePath.Check(p), (WorkspaceEntry?)null)));
        var updated = record.Apply(updates);
        control.SaveWorkspace(id, Summary(updated), updated.ToJson());
        return new V1.AcceptWorkspaceChangesResponse { Workspace = WorkspaceMapping.ToProto(updated) };
    }

    private void RecordUpload(string id, string guestPath, V1.WorkspaceOrigin origin, IReadOnlyList<(string Path, WorkspaceEntry? Entry)> updates)
    {
        var existing = control.GetWorkspace(id) is { } json ? WorkspaceRecord.FromJson(json) : null;
        if (!origin.Replace && existing is null)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox {id} has no workspace to update; materialise one first (replace = true)");
        if (existing is not null && !origin.Replace && existing.GuestPath != guestPath)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox {id}'s workspace is at {existing.GuestPath}, not {guestPath}");
        var start = origin.Replace || existing is null
            ? new WorkspaceRecord(guestPath, origin.Commit, origin.CheckoutPath, new Dictionary<string, WorkspaceEntry>(StringComparer.Ordinal))
            : existing;
        control.SaveWorkspace(id, Summary(start), start.Apply(updates).ToJson());
    }

    private static WorkspaceSummary Summary(WorkspaceRecord record) => new(record.GuestPath, record.Commit, record.CheckoutPath);

    private WorkspaceRecord RequireWorkspace(string id) =>
        control.GetWorkspace(id) is { } json
            ? WorkspaceRecord.FromJson(json)
            : throw new CleanroomException(ErrorCode.NotFound, $"sandbox {id} has no workspace: it was not created from a git checkout");

    private static string RequireAbsolute(string path) =>
        !string.IsNullOrEmpty(path) && path.StartsWith('/') && !path.Contains('\0')
            ? path
            : throw new CleanroomException(ErrorCode.InvalidArgument, $"path must be an absolute path in the sandbox, not '{path}'");
}
