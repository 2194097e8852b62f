namespace Cleanroom.ControlPlane;

/// <summary>Settings of the control plane; the host binds them from the runtime config.</summary>
public sealed record ControlPlaneOptions
{
    /// <summary>Directory for the database and retained output, normally <c>$XDG_STATE_HOME/cleanroom</c>.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>Bytes kept per output stream of one execution; the rest is counted, not stored.</summary>
    public long MaxRetainedBytesPerStream { get; init; } = 16 * 1024 * 1024;

    /// <summary>How long a canceled or timed-out execution gets between SIGTERM and SIGKILL.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a wake (restore from a checkpoint) may take before the sandbox is FAILED with <c>wake_failed</c>.</summary>
    public TimeSpan WakeTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Suspend a READY sandbox that has been idle this long (no running command, no open port connection or stream);
    /// null: never (the default). Warm-pool spares are never suspended.
    /// </summary>
    public TimeSpan? IdleSuspendAfter { get; init; }

    /// <summary>
    /// Spare sandboxes kept provisioned for the spec of the most recent sandbox (the warm pool); 0 turns it off.
    /// A create whose spec matches takes a spare instead of waiting for the backend to start one.
    /// </summary>
    public int WarmPoolSize { get; init; }

    /// <summary>
    /// The warm pool starts the next spare once the sandbox that became READY has finished its first execution (or
    /// left READY), and at the latest this long after READY: a spare's start takes both cores of a small host for a
    /// few hundred milliseconds, and it should not take them from the command the user is waiting for.
    /// </summary>
    public TimeSpan WarmPoolRefillDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a sandbox created with <see cref="CreateSandboxRequest.WorkspaceFollows"/> waits for its workspace to be
    /// completed before it fails with <c>workspace_incomplete</c> (a client that died mid-upload must not hold it forever).
    /// </summary>
    public TimeSpan WorkspaceWait { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Where the outputs of setup blocks are cached (normally <c>$XDG_CACHE_HOME/cleanroom/blocks</c>); null: no cache,
    /// every block runs at every create.
    /// </summary>
    public string? BlockCacheDirectory { get; init; }

    /// <summary>Bound of the block cache; the least recently used outputs go first.</summary>
    public long BlockCacheMaxBytes { get; init; } = 10L << 30;

    /// <summary>
    /// How long the records (and retained output) of an ended sandbox are kept; null keeps them forever. Checked at
    /// start and every hour.
    /// </summary>
    public TimeSpan? RecordRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Upper bound for each backend's restart reconciliation, so one stuck backend cannot stall startup.</summary>
    public TimeSpan ReconcileTimeout { get; init; } = TimeSpan.FromMinutes(2);
}
