namespace Cleanroom.ControlPlane;

/// <summary>
/// The stable text form of statuses (PROVISIONING, TIMED_OUT, ...), used in the store, in event payloads
/// and in messages. Stored text must never change meaning, so it is spelled out, not derived from enum names.
/// </summary>
public static class StatusNames
{
    public static string Of(SandboxStatus status) => status switch
    {
        SandboxStatus.Provisioning => "PROVISIONING",
        SandboxStatus.Ready => "READY",
        SandboxStatus.Stopping => "STOPPING",
        SandboxStatus.Stopped => "STOPPED",
        SandboxStatus.Failed => "FAILED",
        SandboxStatus.Suspended => "SUSPENDED",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static string Of(ExecutionStatus status) => status switch
    {
        ExecutionStatus.Queued => "QUEUED",
        ExecutionStatus.Running => "RUNNING",
        ExecutionStatus.Succeeded => "SUCCEEDED",
        ExecutionStatus.Failed => "FAILED",
        ExecutionStatus.Canceled => "CANCELED",
        ExecutionStatus.TimedOut => "TIMED_OUT",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static SandboxStatus ParseSandbox(string text)
    {
        foreach (var status in Enum.GetValues<SandboxStatus>())
        {
            if (Of(status) == text)
                return status;
        }
        throw new FormatException($"unknown sandbox status '{text}'");
    }

    public static ExecutionStatus ParseExecution(string text)
    {
        foreach (var status in Enum.GetValues<ExecutionStatus>())
        {
            if (Of(status) == text)
                return status;
        }
        throw new FormatException($"unknown execution status '{text}'");
    }
}
