using Cleanroom.Backends;

namespace Cleanroom.ControlPlane;

/// <summary>
/// An execution as recorded in the store. <see cref="ExitCode"/> is set once the process exited
/// (128+N when killed by signal N, with <see cref="Signal"/> = N); <see cref="FailureMessage"/> explains
/// endings that are not a plain exit (start failure, server restart, cancel, timeout).
/// </summary>
public sealed record Execution
{
    public required string Id { get; init; }
    public required string SandboxId { get; init; }
    public required ExecutionSpec Spec { get; init; }
    public required ExecutionStatus Status { get; init; }
    public int? ExitCode { get; init; }
    public int? Signal { get; init; }
    public string? FailureMessage { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>Byte counts of stdout; null until the execution finished (or when the server died before it could count).</summary>
    public OutputSummary? Stdout { get; init; }
    public OutputSummary? Stderr { get; init; }
    /// <summary>For the first execution of a sandbox, the sandbox's start-up; null for later ones.</summary>
    public ExecutionStartup? Startup { get; init; }

    /// <summary>Where the execution's time went (see <see cref="ExecutionTimings"/>).</summary>
    public ExecutionTimings Timings => ExecutionTimings.Of(this);
}

/// <summary>How much of one output stream the workload wrote and how much of it was kept.</summary>
public sealed record OutputSummary(long TotalBytes, long RetainedBytes)
{
    public bool Truncated => TotalBytes > RetainedBytes;
}
