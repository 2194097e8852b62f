using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Reads <c>registries:</c> — <c>npm</c>, <c>pypi</c> and <c>go</c> (Go module proxies), each a list of base URLs (<c>http</c> or <c>https</c>, a host
/// name, an optional port, a path ending in <c>/</c>; no user info, query or fragment). A protocol not named keeps its
/// default (the public registry); an empty list serves none.
/// </summary>
internal static class RegistriesSectionReader
{
    public static RegistrySettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, "registries", RegistrySettings.Defaults, ["npm", "pypi", "go"], problems,
            (settings, key, value, path) => key switch
            {
                "npm" => settings with { Npm = Urls(value, path, problems) },
                "pypi" => settings with { PyPi = Urls(value, path, problems) },
                _ => settings with { Go = Urls(value, path, problems) },
            });

    private static ImmutableArray<Uri> Urls(YamlNode value, string path, List<ConfigProblem> problems)
    {
        if (value is YamlScalarNode { Value: null or "" })
            return [];
        if (value is not YamlSequenceNode list)
        {
            problems.Add(RuntimeConfigReader.At(value, path, "must be a list of base URLs such as [https://registry.npmjs.org/]"));
            return [];
        }

        var urls = ImmutableArray.CreateBuilder<Uri>();
        foreach (var item in list)
        {
            if (item is YamlScalarNode { Value: { } text } && Uri.TryCreate(text, UriKind.Absolute, out var url)
                && url.Scheme is "http" or "https" && url.HostNameType == UriHostNameType.Dns && url.UserInfo.Length == 0
                && url.Query.Length == 0 && url.Fragment.Length == 0 && url.AbsolutePath.EndsWith('/') && text.Trim() == text)
                urls.Add(url);
            else
                problems.Add(RuntimeConfigReader.At(item, path, "each entry is a base URL: http(s)://HOST[:PORT]/PATH/ (a DNS name, the path ending in '/', no user, query or fragment)"));
        }

        return urls.ToImmutable();
    }
}
