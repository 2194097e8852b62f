namespace Cleanroom.ControlPlane;

/// <summary>
/// Where an execution is in its life. <see cref="Failed"/> covers both a workload that exited non-zero
/// (exit code set) and one the server could not run to the end (exit code null, failure message set).
/// </summary>
public enum ExecutionStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Canceled,
    TimedOut,
}
