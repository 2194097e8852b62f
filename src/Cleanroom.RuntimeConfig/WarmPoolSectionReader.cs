using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>Reads <c>warm_pool:</c> — <c>size</c>, a whole number from 0 to <see cref="WarmPoolSettings.MaxSize"/>.</summary>
internal static class WarmPoolSectionReader
{
    public static WarmPoolSettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, "warm_pool", WarmPoolSettings.Defaults, ["size"], problems,
            (settings, _, value, path) => settings with { Size = (int)SettingsSection.WholeNumber(value, path, 0, WarmPoolSettings.MaxSize, problems) });
}
