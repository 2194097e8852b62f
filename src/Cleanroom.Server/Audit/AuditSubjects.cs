using Google.Protobuf;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Audit;

/// <summary>
/// Which calls the audit log records and what they touched. Every call that changes something or reads a sandbox's
/// content is recorded; lookups and streams of state (Get*, List*, Stream*, WhoAmI) are not. The sandbox and
/// execution come from the typed request or response, never from reflection (the binary is trimmed).
/// </summary>
internal static class AuditSubjects
{
    private static readonly string[] UnauditedPrefixes = ["Get", "List", "Stream"];

    /// <summary>"Service/Method" from a gRPC method path ("/cleanroom.v1.SandboxService/CreateSandbox"), or null when not audited.</summary>
    public static string? Verb(string methodPath)
    {
        var slash = methodPath.LastIndexOf('/');
        var method = methodPath[(slash + 1)..];
        if (method == "WhoAmI" || UnauditedPrefixes.Any(p => method.StartsWith(p, StringComparison.Ordinal))) return null;
        var service = methodPath[..Math.Max(slash, 0)].TrimStart('/');
        var dot = service.LastIndexOf('.');
        return $"{service[(dot + 1)..]}/{method}";
    }

    public static (string? SandboxId, string? ExecutionId, string? PolicyHash, bool? AllowAll) Of(IMessage? request, IMessage? response) =>
        (request, response) switch
        {
            (_, V1.CreateSandboxResponse created) => (created.Sandbox?.SandboxId, null, created.Sandbox?.PolicyHash, created.Sandbox?.DangerouslyAllowAll),
            (V1.CreateSandboxRequest create, _) => (null, null, null, create.DangerouslyAllowAll),
            (V1.CreateExecutionRequest create, V1.CreateExecutionResponse created) => (create.SandboxId, created.Execution?.ExecutionId, null, null),
            (V1.CreateExecutionRequest create, _) => (create.SandboxId, null, null, null),
            (V1.AttachExecutionRequest { Create: { } create }, _) => (create.SandboxId, null, null, null),
            (V1.AttachExecutionRequest { Attach: { } attach }, _) => (Blank(attach.SandboxId), attach.ExecutionId, null, null),
            (V1.CancelExecutionRequest cancel, _) => (Blank(cancel.SandboxId), cancel.ExecutionId, null, null),
            (V1.TerminateSandboxRequest terminate, _) => (terminate.SandboxId, null, null, null),
            (V1.SuspendSandboxRequest suspend, _) => (suspend.SandboxId, null, null, null),
            (V1.ResumeSandboxRequest resume, _) => (resume.SandboxId, null, null, null),
            (V1.CreateSnapshotRequest snapshot, _) => (snapshot.SandboxId, null, null, null),
            (V1.DownloadSandboxFileRequest download, _) => (download.SandboxId, null, null, null),
            (V1.DownloadSandboxArchiveRequest download, _) => (download.SandboxId, null, null, null),
            (V1.UploadSandboxArchiveRequest upload, _) => (upload.SandboxId, null, null, null),
            (V1.AcceptWorkspaceChangesRequest accept, _) => (accept.SandboxId, null, null, null),
            (V1.CompleteWorkspaceRequest complete, _) => (complete.SandboxId, null, null, null),
            (V1.ExposePortsRequest expose, _) => (expose.SandboxId, null, null, null),
            (V1.ForwardPortRequest { Open: { } open }, _) => (open.SandboxId, null, null, null),
            _ => (null, null, null, null),
        };

    private static string? Blank(string value) => value.Length == 0 ? null : value;
}
