using Cleanroom.Client;
using Cleanroom.Api.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cleanroom.Cli.Workspace;

/// <summary>Moves tar archives between this host and a sandbox over the WorkspaceService.</summary>
internal static class ArchiveTransfer
{
    private const int ChunkBytes = 1 << 20;

    public static async Task<UploadSandboxArchiveResponse> UploadAsync(CleanroomClient client, string sandboxId, string guestPath,
        WorkspaceOrigin? origin, Stream archive, CancellationToken cancellationToken)
    {
        using var call = client.Workspaces.UploadSandboxArchive(cancellationToken: cancellationToken);
        var first = new UploadSandboxArchiveRequest { SandboxId = sandboxId, Path = guestPath, Workspace = origin };
        await call.RequestStream.WriteAsync(first, cancellationToken);
        var buffer = new byte[ChunkBytes];
        int read;
        while ((read = await archive.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
            await call.RequestStream.WriteAsync(new UploadSandboxArchiveRequest { Data = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    /// <summary>Downloads an archive of <paramref name="members"/> under <paramref name="guestPath"/> into a private temporary file.</summary>
    public static async Task<FileStream> DownloadAsync(CleanroomClient client, string sandboxId, string guestPath, IEnumerable<string> members,
        long maxBytes, CancellationToken cancellationToken)
    {
        var request = new DownloadSandboxArchiveRequest { SandboxId = sandboxId, Path = guestPath, MaxBytes = maxBytes };
        request.Members.AddRange(members);
        var spool = new FileStream(Path.Combine(Path.GetTempPath(), $"cleanroom-download-{Guid.NewGuid():N}.tar"), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            using var call = client.Workspaces.DownloadSandboxArchive(request, cancellationToken: cancellationToken);
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
                await spool.WriteAsync(chunk.Data.Memory, cancellationToken);
            spool.Position = 0;
            return spool;
        }
        catch
        {
            await spool.DisposeAsync();
            throw;
        }
    }

    /// <summary>A temporary file, deleted when closed, for building an archive before sending it.</summary>
    public static FileStream CreateSpool() =>
        new(Path.Combine(Path.GetTempPath(), $"cleanroom-upload-{Guid.NewGuid():N}.tar"), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
}
