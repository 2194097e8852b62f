using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Reads <c>registry_cache:</c> — <c>max_bytes</c>, a whole number of at least 1 MiB (a smaller bound would evict a
/// package while it is being served), and <c>metadata_ttl_seconds</c>, 0 (always ask the upstream, stale only when it
/// fails) to one day.
/// </summary>
internal static class RegistryCacheSectionReader
{
    public static RegistryCacheSettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, "registry_cache", RegistryCacheSettings.Defaults, ["max_bytes", "metadata_ttl_seconds"], problems,
            (settings, key, value, path) => key == "max_bytes"
                ? settings with { MaxBytes = SettingsSection.WholeNumber(value, path, 1L << 20, long.MaxValue, problems) }
                : settings with { MetadataTtlSeconds = (int)SettingsSection.WholeNumber(value, path, 0, 86400, problems) });
}
