namespace Cleanroom.ControlPlane;

/// <summary>
/// The one place that says which status changes are legal. Every change the control plane makes is
/// checked here; an illegal one is a bug in the control plane, so it throws InvalidOperationException
/// rather than a user-facing error.
/// </summary>
public static class LifecycleTransitions
{
    private static readonly Dictionary<SandboxStatus, SandboxStatus[]> SandboxMoves = new()
    {
        // PROVISIONING -> STOPPING: terminate while provisioning cancels it and removes what was made.
        [SandboxStatus.Provisioning] = [SandboxStatus.Ready, SandboxStatus.Stopping, SandboxStatus.Failed],
        // READY <-> SUSPENDED: suspend and wake. SUSPENDED -> FAILED: a wake that failed (wake_failed).
        [SandboxStatus.Ready] = [SandboxStatus.Stopping, SandboxStatus.Failed, SandboxStatus.Suspended],
        [SandboxStatus.Suspended] = [SandboxStatus.Ready, SandboxStatus.Stopping, SandboxStatus.Failed],
        [SandboxStatus.Stopping] = [SandboxStatus.Stopped, SandboxStatus.Failed],
        [SandboxStatus.Stopped] = [],
        [SandboxStatus.Failed] = [],
    };

    private static readonly Dictionary<ExecutionStatus, ExecutionStatus[]> ExecutionMoves = new()
    {
        // QUEUED -> FAILED/CANCELED: the process never started (start error, cancel, sandbox terminated).
        [ExecutionStatus.Queued] = [ExecutionStatus.Running, ExecutionStatus.Failed, ExecutionStatus.Canceled],
        [ExecutionStatus.Running] = [ExecutionStatus.Succeeded, ExecutionStatus.Failed, ExecutionStatus.Canceled, ExecutionStatus.TimedOut],
        [ExecutionStatus.Succeeded] = [],
        [ExecutionStatus.Failed] = [],
        [ExecutionStatus.Canceled] = [],
        [ExecutionStatus.TimedOut] = [],
    };

    public static bool IsAllowed(SandboxStatus from, SandboxStatus to) => SandboxMoves[from].Contains(to);

    public static bool IsAllowed(ExecutionStatus from, ExecutionStatus to) => ExecutionMoves[from].Contains(to);

    public static bool IsTerminal(SandboxStatus status) => SandboxMoves[status].Length == 0;

    public static bool IsTerminal(ExecutionStatus status) => ExecutionMoves[status].Length == 0;

    public static void EnsureAllowed(SandboxStatus from, SandboxStatus to)
    {
        if (!IsAllowed(from, to))
            throw new InvalidOperationException($"illegal sandbox transition {StatusNames.Of(from)} -> {StatusNames.Of(to)}");
    }

    public static void EnsureAllowed(ExecutionStatus from, ExecutionStatus to)
    {
        if (!IsAllowed(from, to))
            throw new InvalidOperationException($"illegal execution transition {StatusNames.Of(from)} -> {StatusNames.Of(to)}");
    }
}
