using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>Reads <c>block_cache:</c> — <c>max_bytes</c>, a whole number of at least 1.</summary>
internal static class BlockCacheSectionReader
{
    public static BlockCacheSettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, "block_cache", BlockCacheSettings.Defaults, ["max_bytes"], problems,
            (settings, _, value, path) => settings with { MaxBytes = SettingsSection.WholeNumber(value, path, 1, long.MaxValue, problems) });
}
