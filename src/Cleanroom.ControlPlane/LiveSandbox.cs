using Cleanroom.Backends;

namespace Cleanroom.ControlPlane;

/// <summary>
/// The in-memory side of a sandbox that is not yet STOPPED or FAILED: its backend handle, its provisioning
/// and termination work, and its running executions. <see cref="Gate"/> makes "check the status, then act"
/// atomic, e.g. CreateExecution registering a run versus TerminateSandbox collecting the runs to stop.
/// </summary>
internal sealed class LiveSandbox(string id, SandboxStatus status)
{
    public string Id { get; } = id;

    public Lock Gate { get; } = new();

    /// <summary>Mirrors the stored status; changed only together with the store, under <see cref="Gate"/>.</summary>
    public SandboxStatus Status { get; set; } = status;

    public ISandboxBackend? Backend { get; set; }

    /// <summary>Set once provisioning (or restart re-adoption) succeeded.</summary>
    public IProvisionedSandbox? Handle { get; set; }

    /// <summary>Set while SUSPENDED (then <see cref="Handle"/> is null): what the backend keeps of the sandbox.</summary>
    public ISuspendedSandbox? Suspended { get; set; }

    /// <summary>A suspend or a wake in progress; anything that needs the sandbox awake waits for it first.</summary>
    public Task? Transitioning { get; set; }

    /// <summary>Port connections (exposures, port-forwards) open now; a field for <see cref="Interlocked"/>.</summary>
    public int OpenPortConnections;

    /// <summary>The control plane's clock (TimeProvider timestamp) when the sandbox was last used: what idle suspend measures from.</summary>
    public long LastUsedTicks { get; set; }

    /// <summary>The policy's <c>run.before</c>, run before each of its executions; null when the policy has none.</summary>
    public RunBeforeCommand? RunBefore { get; init; }

    /// <summary>
    /// For a sandbox whose workspace follows its create: the started sandbox once it accepts the workspace (faulted
    /// when provisioning fails first), and the caller's word that the workspace is complete.
    /// </summary>
    public TaskCompletionSource<IProvisionedSandbox> WorkspaceTarget { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource WorkspaceCompleted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool WorkspaceFollows { get; init; }

    /// <summary>The server-side checkout written in the repository stage; null when the caller brings the workspace.</summary>
    public RepositorySource? Repository { get; init; }

    /// <summary>Setup blocks ignore the block cache's hits (<c>--no-cache</c>).</summary>
    public bool NoCache { get; init; }

    /// <summary>
    /// The start-up milestones of a sandbox this server provisioned, until its first execution takes them (a field for
    /// <see cref="Interlocked"/>); null for a sandbox adopted after a restart.
    /// </summary>
    public SandboxStartup? UnclaimedStartup;

    public CancellationTokenSource ProvisioningCancel { get; } = new();

    /// <summary>The provisioning work; it records its own outcome and never faults.</summary>
    public Task Provisioning { get; set; } = Task.CompletedTask;

    /// <summary>
    /// Completes when the status first leaves PROVISIONING (already complete for a sandbox adopted as READY). An ensure
    /// that finds a sandbox still being recorded waits on this, since <see cref="Provisioning"/> may not be set yet.
    /// </summary>
    public TaskCompletionSource LeftProvisioning { get; } = LeftProvisioningSource(status);

    /// <summary>Set by the first TerminateSandbox; later calls await the same work.</summary>
    public Task<Sandbox>? Termination { get; set; }

    public Dictionary<string, ExecutionRun> Runs { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Completes when the first execution has ended or the sandbox has left READY (see the warm pool's refill). Its one
    /// continuation runs inline, so the next spare is registered before those waiting for the execution hear of its end.
    /// </summary>
    public TaskCompletionSource FirstUseEnded { get; } = new();

    private static TaskCompletionSource LeftProvisioningSource(SandboxStatus status)
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (status != SandboxStatus.Provisioning)
            source.TrySetResult();
        return source;
    }
}
