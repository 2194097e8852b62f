using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Reads <c>images:</c> — <c>insecure_registries</c> (plain-HTTP registries, listed one by one), <c>credentials</c>
/// (registry → username/password), <c>docker_config</c>, <c>max_concurrent_downloads</c>, <c>max_retries</c>.
/// </summary>
internal static class ImagesSectionReader
{
    private const string Path = "images";

    public static ImageSettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, Path, ImageSettings.Defaults,
            ["insecure_registries", "credentials", "docker_config", "max_concurrent_downloads", "max_retries"], problems,
            (settings, key, value, path) => key switch
            {
                "insecure_registries" => settings with { InsecureRegistries = ReadList(value, path, problems) },
                "credentials" => settings with { Credentials = ReadCredentials(value, path, problems) },
                "docker_config" => settings with { DockerConfig = value is YamlScalarNode { Value: { } text } ? text : Problem<string>(value, path, "must be a path", problems) },
                "max_concurrent_downloads" => settings with { MaxConcurrentDownloads = ReadPositive(value, path, problems) },
                _ => settings with { MaxRetries = ReadPositive(value, path, problems) },
            });

    private static ImmutableArray<string> ReadList(YamlNode value, string path, List<ConfigProblem> problems)
    {
        if (value is not YamlSequenceNode sequence)
        {
            problems.Add(RuntimeConfigReader.At(value, path, "must be a list of registry hosts such as 127.0.0.1:5000"));
            return [];
        }

        var items = ImmutableArray.CreateBuilder<string>();
        foreach (var item in sequence)
        {
            if (item is YamlScalarNode { Value: { Length: > 0 } host } && !host.Contains('/') && !host.Any(char.IsWhiteSpace))
            {
                items.Add(host);
            }
            else
            {
                problems.Add(RuntimeConfigReader.At(item, path, "each entry is a registry host[:port], with no scheme or path"));
            }
        }

        return items.ToImmutable();
    }

    private static ImmutableSortedDictionary<string, RegistryLogin> ReadCredentials(YamlNode value, string path, List<ConfigProblem> problems)
    {
        var result = ImmutableSortedDictionary.CreateBuilder<string, RegistryLogin>(StringComparer.Ordinal);
        if (value is not YamlMappingNode registries || !RuntimeConfigReader.AllKeysAreScalars(registries, path, problems))
        {
            problems.Add(RuntimeConfigReader.At(value, path, "must map each registry host to {username, password}"));
            return result.ToImmutable();
        }

        foreach (var (keyNode, login) in registries.Children)
        {
            var registry = ((YamlScalarNode)keyNode).Value!;
            var loginPath = $"{path}.{registry}";
            if (login is YamlMappingNode fields
                && fields.Children.Count == 2
                && fields.Children.TryGetValue(new YamlScalarNode("username"), out var user) && user is YamlScalarNode { Value: { } username }
                && fields.Children.TryGetValue(new YamlScalarNode("password"), out var pass) && pass is YamlScalarNode { Value: { } password })
            {
                result[registry] = new RegistryLogin(username, password);
            }
            else
            {
                problems.Add(RuntimeConfigReader.At(login, loginPath, "must be exactly {username: ..., password: ...}"));
            }
        }

        return result.ToImmutable();
    }

    private static int ReadPositive(YamlNode value, string path, List<ConfigProblem> problems) =>
        (int)SettingsSection.WholeNumber(value, path, 1, int.MaxValue, problems);

    private static T? Problem<T>(YamlNode node, string path, string message, List<ConfigProblem> problems)
    {
        problems.Add(RuntimeConfigReader.At(node, path, message));
        return default;
    }
}
