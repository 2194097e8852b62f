using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Reads <c>sandbox_lifecycle:</c> — <c>idle_suspend_after_seconds</c>, a whole number from 0 (off) to a day, and
/// <c>wake_timeout_seconds</c>, from 1 to an hour.
/// </summary>
internal static class SandboxLifecycleSectionReader
{
    public static SandboxLifecycleSettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, "sandbox_lifecycle", SandboxLifecycleSettings.Defaults, ["idle_suspend_after_seconds", "wake_timeout_seconds"], problems,
            (settings, key, value, path) => key == "idle_suspend_after_seconds"
                ? settings with { IdleSuspendAfterSeconds = (int)SettingsSection.WholeNumber(value, path, 0, SandboxLifecycleSettings.MaxIdleSuspendAfterSeconds, problems) }
                : settings with { WakeTimeoutSeconds = (int)SettingsSection.WholeNumber(value, path, 1, SandboxLifecycleSettings.MaxWakeTimeoutSeconds, problems) });
}
