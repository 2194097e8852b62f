namespace Cleanroom.Workspace;

public enum WorkspaceChangeKind
{
    Added,
    Modified,
    Deleted,
}

/// <summary>One path that differs between the baseline and the sandbox now.</summary>
public sealed record WorkspaceChange(WorkspaceChangeKind Kind, string Path, WorkspaceEntry? Before, WorkspaceEntry? After);
