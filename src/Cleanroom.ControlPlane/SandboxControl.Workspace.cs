using System.Text.Json.Nodes;
using Cleanroom.Backends;
using Cleanroom.Errors;

namespace Cleanroom.ControlPlane;

// The repository stage of a sandbox whose workspace follows its create: the client uploads into the started sandbox
// while it is still PROVISIONING, says it is done, and only then do the setup stages run (they need the repository).
public sealed partial class SandboxControl
{
    /// <summary>
    /// The tree operations of a READY sandbox, or of one whose workspace follows its create and is not complete yet:
    /// then this waits until the sandbox has started (or throws why it never will).
    /// </summary>
    public async Task<ISandboxFileTree> FileTreeAsync(string sandboxId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        RequireSandbox(sandboxId);
        if (_live.TryGetValue(sandboxId, out var live) && AcceptsWorkspace(live))
        {
            var started = await live.WorkspaceTarget.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return started as ISandboxFileTree ?? throw new CleanroomException(ErrorCode.BackendCapabilityMismatch,
                $"backend '{live.Backend?.Name}' cannot copy file trees: it lacks {CapabilityNames.FileTree}");
        }
        return FileTree(sandboxId);
    }

    /// <summary>
    /// The caller's workspace is in: the sandbox's setup stages may start. Completing a READY sandbox's workspace (one
    /// that did not wait for it) changes nothing; any other state is an error.
    /// </summary>
    public void CompleteWorkspace(string sandboxId)
    {
        EnsureOpen();
        var sandbox = RequireSandbox(sandboxId);
        if (_live.TryGetValue(sandboxId, out var live) && AcceptsWorkspace(live))
        {
            live.WorkspaceCompleted.TrySetResult();
            return;
        }
        if (sandbox.Status != SandboxStatus.Ready)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox {sandboxId} is {StatusNames.Of(sandbox.Status)}; it is not waiting for a workspace");
    }

    private static bool AcceptsWorkspace(LiveSandbox live)
    {
        lock (live.Gate)
            return live.WorkspaceFollows && live.Status == SandboxStatus.Provisioning && !live.WorkspaceCompleted.Task.IsCompleted;
    }

    /// <summary>Opens the started sandbox to the workspace upload and waits for the caller to complete it.</summary>
    private async Task AwaitWorkspaceAsync(LiveSandbox live, IProvisionedSandbox started, CancellationToken cancellationToken)
    {
        live.WorkspaceTarget.TrySetResult(started);
        RecordEvent(live.Id, SandboxEventTypes.Stage, new JsonObject
        {
            ["stage"] = SandboxStages.Repository,
            ["state"] = "waiting",
            ["message"] = "repository stage: waiting for the workspace",
        }.ToJsonString());
        try
        {
            await live.WorkspaceCompleted.Task.WaitAsync(_options.WorkspaceWait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new CleanroomException(ErrorCode.WorkspaceIncomplete,
                $"the workspace was not completed within {_options.WorkspaceWait.TotalSeconds:0} s of the sandbox starting; its setup never ran");
        }
    }

    /// <summary>
    /// The repository stage of a sandbox the server checks the repository out for: the checkout is written at the
    /// policy's repository path before any setup block runs, with the stage's start and end as events.
    /// </summary>
    private async Task CheckOutAsync(LiveSandbox live, IProvisionedSandbox started, RepositorySource repository, string repositoryPath, CancellationToken cancellationToken)
    {
        var tree = started as ISandboxFileTree ?? throw new CleanroomException(ErrorCode.BackendCapabilityMismatch,
            $"backend '{live.Backend?.Name}' cannot take a repository checkout: it lacks {CapabilityNames.FileTree}");
        RecordEvent(live.Id, SandboxEventTypes.Stage, new JsonObject
        {
            ["stage"] = SandboxStages.Repository,
            ["state"] = "started",
            ["message"] = $"repository stage started: {repository.Description} into {repositoryPath}",
        }.ToJsonString());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await repository.WriteAsync(live.Id, tree, repositoryPath, cancellationToken).ConfigureAwait(false);
        var elapsed = (long)clock.Elapsed.TotalMilliseconds;
        RecordEvent(live.Id, SandboxEventTypes.Stage, new JsonObject
        {
            ["stage"] = SandboxStages.Repository,
            ["state"] = "succeeded",
            ["duration_ms"] = elapsed,
            ["message"] = $"repository stage succeeded in {elapsed} ms",
        }.ToJsonString());
    }
}
