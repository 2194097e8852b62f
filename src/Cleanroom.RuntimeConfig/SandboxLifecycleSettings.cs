namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>sandbox_lifecycle:</c> section. <c>idle_suspend_after_seconds</c>: suspend a READY sandbox after this long
/// with no running command, attached stream or open port connection (0 or absent: never; warm-pool spares never).
/// <c>wake_timeout_seconds</c>: how long waking a suspended sandbox may take before it is FAILED with <c>wake_failed</c>.
/// </summary>
public sealed record SandboxLifecycleSettings(int IdleSuspendAfterSeconds, int WakeTimeoutSeconds)
{
    /// <summary>A day: a longer idle wait is a typo more often than a wish.</summary>
    public const int MaxIdleSuspendAfterSeconds = 86_400;

    public const int MaxWakeTimeoutSeconds = 3_600;

    public static SandboxLifecycleSettings Defaults { get; } = new(0, 60);
}
