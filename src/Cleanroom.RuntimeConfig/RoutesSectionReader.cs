using System.Net;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>Reads <c>routes:</c> — <c>port</c> (0-65535) and <c>address</c> (an IP address of this host).</summary>
internal static class RoutesSectionReader
{
    public static RouteSettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, "routes", RouteSettings.Defaults, ["port", "address"], problems,
            (settings, key, value, path) => key switch
            {
                "port" => settings with { Port = (int)SettingsSection.WholeNumber(value, path, 0, 65535, problems) },
                _ => settings with { Address = Address(value, path, problems) },
            });

    private static string Address(YamlNode value, string path, List<ConfigProblem> problems)
    {
        var text = (value as YamlScalarNode)?.Value ?? "";
        if (IPAddress.TryParse(text, out _))
            return text;
        problems.Add(RuntimeConfigReader.At(value, path, $"'{text}' is not an IP address"));
        return RouteSettings.Defaults.Address;
    }
}
