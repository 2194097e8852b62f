using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>Reads <c>workspace:</c> — <c>max_transfer_bytes</c> and <c>max_tree_entries</c>, whole numbers of at least 1.</summary>
internal static class WorkspaceSectionReader
{
    public static WorkspaceSettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, "workspace", WorkspaceSettings.Defaults, ["max_transfer_bytes", "max_tree_entries"], problems,
            (settings, key, value, path) => key switch
            {
                "max_transfer_bytes" => settings with { MaxTransferBytes = SettingsSection.WholeNumber(value, path, 1, long.MaxValue, problems) },
                _ => settings with { MaxTreeEntries = (uint)SettingsSection.WholeNumber(value, path, 1, uint.MaxValue, problems) },
            });
}
