using Cleanroom.Backends;
using Cleanroom.Errors;

namespace Cleanroom.ControlPlane;

/// <summary>Whole-tree file access and port connections to READY sandboxes, and the workspace record kept for each.</summary>
public sealed partial class SandboxControl
{
    /// <summary>The tree operations of a READY sandbox whose backend claims <c>file_tree</c>; each wakes a suspended one first.</summary>
    public ISandboxFileTree FileTree(string sandboxId)
    {
        EnsureOpen();
        var live = RequireUsable(sandboxId);
        if (!live.Backend!.Capabilities.Supports(CapabilityNames.FileTree) || live.Handle is { } handle and not ISandboxFileTree)
        {
            throw new CleanroomException(ErrorCode.BackendCapabilityMismatch,
                $"backend '{live.Backend.Name}' cannot copy file trees: it lacks {CapabilityNames.FileTree}");
        }
        return new WakingAccess(this, live);
    }

    /// <summary>Connections to ports of a READY sandbox whose backend claims <c>ports</c>; each wakes a suspended one first.</summary>
    public ISandboxPorts Ports(string sandboxId)
    {
        EnsureOpen();
        var live = RequireUsable(sandboxId);
        if (!live.Backend!.Capabilities.Supports(CapabilityNames.Ports) || live.Handle is { } handle and not ISandboxPorts)
        {
            throw new CleanroomException(ErrorCode.BackendCapabilityMismatch,
                $"backend '{live.Backend.Name}' cannot connect to ports in its sandboxes: it lacks {CapabilityNames.Ports}");
        }
        return new WakingAccess(this, live);
    }

    /// <summary>Stores the workspace record (a JSON document the caller owns) of an existing sandbox.</summary>
    public void SaveWorkspace(string sandboxId, WorkspaceSummary summary, string recordJson)
    {
        EnsureOpen();
        RequireSandbox(sandboxId);
        _store.SaveWorkspace(sandboxId, summary, recordJson, _time.GetUtcNow());
    }

    /// <summary>Where the sandbox's workspace is and which commit it came from, or null when it has none.</summary>
    public WorkspaceSummary? WorkspaceOf(string sandboxId) => _store.GetWorkspaceSummary(sandboxId);

    /// <summary>Where the sandbox's workspace is in the guest (the default working directory), or null.</summary>
    public string? WorkspaceGuestPath(string sandboxId) => WorkspaceOf(sandboxId)?.GuestPath;

    /// <summary>The workspace record of a sandbox, or null when it has none (it was created outside a checkout).</summary>
    public string? GetWorkspace(string sandboxId)
    {
        EnsureOpen();
        RequireSandbox(sandboxId);
        return _store.GetWorkspace(sandboxId);
    }
}
