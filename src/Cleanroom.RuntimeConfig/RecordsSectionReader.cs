using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>Reads <c>records:</c> — <c>retention_days</c>, a whole number from 0 (keep forever) to 3650.</summary>
internal static class RecordsSectionReader
{
    public static RecordSettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, "records", RecordSettings.Defaults, ["retention_days"], problems,
            (settings, _, value, path) => settings with { RetentionDays = (int)SettingsSection.WholeNumber(value, path, 0, 3650, problems) });
}
