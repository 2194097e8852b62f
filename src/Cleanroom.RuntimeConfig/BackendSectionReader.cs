using System.Collections.Immutable;
using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>Checks one <c>backends.&lt;name&gt;</c> section against that backend's schema.</summary>
internal static class BackendSectionReader
{
    public static ImmutableSortedDictionary<string, string>? Read(
        BackendSectionSchema schema, YamlNode section, string path, List<ConfigProblem> problems)
    {
        if (section is YamlScalarNode { Value: null or "" })
        {
            return ImmutableSortedDictionary<string, string>.Empty;
        }

        if (section is not YamlMappingNode mapping)
        {
            problems.Add(RuntimeConfigReader.At(section, path, "must be a mapping of settings"));
            return null;
        }

        if (!RuntimeConfigReader.AllKeysAreScalars(mapping, path, problems))
        {
            return null;
        }

        var before = problems.Count;
        var settings = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value ?? "";
            var settingPath = RuntimeConfigReader.Join(path, name);
            var spec = schema.Settings.FirstOrDefault(s => s.Name == name);
            if (spec is null)
            {
                var known = string.Join(", ", schema.Settings.Select(s => s.Name));
                problems.Add(RuntimeConfigReader.At(keyNode, settingPath, $"unknown setting '{name}' for backend {schema.Backend}; known settings are {known}"));
                continue;
            }

            if (valueNode is not YamlScalarNode { Value: { } text })
            {
                problems.Add(RuntimeConfigReader.At(valueNode, settingPath, "must be a single value"));
                continue;
            }

            var problem = Check(spec, text);
            if (problem is not null)
            {
                problems.Add(RuntimeConfigReader.At(valueNode, settingPath, problem));
                continue;
            }

            settings[name] = text;
        }

        return problems.Count == before ? settings.ToImmutable() : null;
    }

    private static string? Check(SettingSpec spec, string text) => spec.Kind switch
    {
        SettingKind.Text => null,
        SettingKind.PositiveInteger =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
                ? null
                : $"must be a whole number of at least 1, not '{text}'",
        SettingKind.Boolean => text is "true" or "false" ? null : $"must be true or false, not '{text}'",
        SettingKind.Choice => spec.Choices!.Contains(text)
            ? null
            : $"must be one of {string.Join(", ", spec.Choices!)}, not '{text}'",
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown setting kind"),
    };
}
