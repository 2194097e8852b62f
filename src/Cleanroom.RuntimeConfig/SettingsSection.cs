using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The shape every top-level settings section shares (<c>images:</c>, <c>workspace:</c>, <c>warm_pool:</c>): empty
/// means all defaults; otherwise a mapping whose keys are known setting names, each read by the section's own code.
/// </summary>
internal static class SettingsSection
{
    /// <summary>
    /// Reads <paramref name="section"/> into <paramref name="defaults"/> by <paramref name="apply"/> (given the
    /// settings so far, the key, its value and its dotted path). Returns null when any problem was found.
    /// </summary>
    public static TSettings? Read<TSettings>(
        YamlNode section, string name, TSettings defaults, IReadOnlyList<string> known, List<ConfigProblem> problems,
        Func<TSettings, string, YamlNode, string, TSettings> apply)
        where TSettings : class
    {
        if (section is YamlScalarNode { Value: null or "" })
            return defaults;
        if (section is not YamlMappingNode mapping)
        {
            problems.Add(RuntimeConfigReader.At(section, name, "must be a mapping of settings"));
            return null;
        }
        if (!RuntimeConfigReader.AllKeysAreScalars(mapping, name, problems))
            return null;

        var before = problems.Count;
        var settings = defaults;
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value!;
            var path = $"{name}.{key}";
            if (known.Contains(key))
                settings = apply(settings, key, value, path);
            else
                problems.Add(RuntimeConfigReader.At(keyNode, path, $"unknown setting '{key}'; known settings are {string.Join(", ", known)}"));
        }
        return problems.Count == before ? settings : null;
    }

    /// <summary><c>true</c> or <c>false</c>; otherwise a problem and false.</summary>
    public static bool Boolean(YamlNode value, string path, List<ConfigProblem> problems) =>
        RuntimeConfigReader.ValidScalar(value, path, t => t is "true" or "false", "must be true or false", problems) == "true";

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; otherwise a problem and <paramref name="min"/>.</summary>
    public static long WholeNumber(YamlNode value, string path, long min, long max, List<ConfigProblem> problems)
    {
        if (value is YamlScalarNode { Value: { } text } && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
            return number;
        problems.Add(RuntimeConfigReader.At(value, path, max == long.MaxValue ? $"must be a whole number of at least {min}" : $"must be a whole number from {min} to {max}"));
        return min;
    }
}
