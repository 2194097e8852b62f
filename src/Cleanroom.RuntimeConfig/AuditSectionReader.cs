using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Reads <c>audit:</c> — <c>file</c> (an absolute path), <c>max_bytes</c> (64 KiB to 10 GiB), <c>max_files</c> (1 to
/// 1000) and <c>retention_days</c> (0 to 3650).
/// </summary>
internal static class AuditSectionReader
{
    public static AuditSettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, "audit", AuditSettings.Defaults, ["file", "max_bytes", "max_files", "retention_days"], problems,
            (settings, key, value, path) => key switch
            {
                "file" => settings with { File = GatewaySectionReader.AbsolutePath(value, path, problems) },
                "max_bytes" => settings with { MaxBytes = SettingsSection.WholeNumber(value, path, 64 * 1024, 10L * 1024 * 1024 * 1024, problems) },
                "max_files" => settings with { MaxFiles = (int)SettingsSection.WholeNumber(value, path, 1, 1000, problems) },
                _ => settings with { RetentionDays = (int)SettingsSection.WholeNumber(value, path, 0, 3650, problems) },
            });
}
