using Cleanroom.Backends;
using Cleanroom.Workspace;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>Workspace and tree types to and from their wire form.</summary>
internal static class WorkspaceMapping
{
    public static string KindName(GuestEntryKind kind) => kind switch
    {
        GuestEntryKind.File => "file",
        GuestEntryKind.Directory => "directory",
        GuestEntryKind.SymbolicLink => "symlink",
        _ => "other",
    };

    public static V1.TreeEntry ToProto(GuestTreeEntry entry) => new()
    {
        Path = entry.Path, Kind = KindName(entry.Kind), Mode = entry.Mode, Size = entry.Size,
        ModifiedUnixSeconds = entry.ModifiedUnixSeconds, BlobId = entry.BlobId, LinkTarget = entry.LinkTarget,
    };

    public static V1.WorkspaceFile? ToProto(WorkspaceEntry? entry) => entry is null ? null : new V1.WorkspaceFile
    {
        Path = entry.Path, Kind = KindName(entry.Kind), Executable = entry.Executable, BlobId = entry.BlobId, LinkTarget = entry.LinkTarget,
    };

    public static V1.WorkspaceInfo ToProto(WorkspaceRecord record) => new()
    {
        GuestPath = record.GuestPath, Commit = record.Commit, CheckoutPath = record.CheckoutPath, BaselineFiles = record.Baseline.Count,
    };

    public static V1.WorkspaceChange ToProto(WorkspaceChange change) => new()
    {
        Path = change.Path,
        Kind = change.Kind.ToString().ToLowerInvariant(),
        Before = ToProto(change.Before),
        After = ToProto(change.After),
    };

    public static WorkspaceEntry FromProto(V1.WorkspaceFile file) => new(
        WorkspacePath.Check(file.Path),
        file.Kind switch
        {
            "file" => GuestEntryKind.File,
            "symlink" => GuestEntryKind.SymbolicLink,
            _ => throw new Cleanroom.Errors.CleanroomException(Cleanroom.Errors.ErrorCode.InvalidArgument, $"workspace file {file.Path} has kind '{file.Kind}'; expected file or symlink"),
        },
        file.Executable, file.BlobId, file.LinkTarget);
}
