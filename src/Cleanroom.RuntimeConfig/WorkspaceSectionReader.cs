using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>Reads <c>workspace:</c> — <c>max_transfer_bytes</c> and <c>max_tree_entries</c>, whole numbers of at least 1.</summary>
internal static class WorkspaceSectionReader
{
    private const string Path = "workspace";

    public static WorkspaceSettings? Read(YamlNode section, List<ConfigProblem> problems)
    {
        if (section is YamlScalarNode { Value: null or "" })
            return WorkspaceSettings.Defaults;
        if (section is not YamlMappingNode mapping || !RuntimeConfigReader.AllKeysAreScalars(mapping, Path, problems))
        {
            if (section is not YamlMappingNode)
                problems.Add(RuntimeConfigReader.At(section, Path, "must be a mapping of settings"));
            return null;
        }

        var before = problems.Count;
        var settings = WorkspaceSettings.Defaults;
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value!;
            var path = $"{Path}.{key}";
            switch (key)
            {
                case "max_transfer_bytes":
                    settings = settings with { MaxTransferBytes = ReadPositive(value, path, long.MaxValue, problems) };
                    break;
                case "max_tree_entries":
                    settings = settings with { MaxTreeEntries = (uint)ReadPositive(value, path, uint.MaxValue, problems) };
                    break;
                default:
                    problems.Add(RuntimeConfigReader.At(keyNode, path, $"unknown setting '{key}'; known settings are max_transfer_bytes, max_tree_entries"));
                    break;
            }
        }
        return problems.Count == before ? settings : null;
    }

    private static long ReadPositive(YamlNode value, string path, long max, List<ConfigProblem> problems)
    {
        if (value is YamlScalarNode { Value: { } text } && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= 1 && number <= max)
            return number;
        problems.Add(RuntimeConfigReader.At(value, path, $"must be a whole number from 1 to {max}"));
        return 1;
    }
}
