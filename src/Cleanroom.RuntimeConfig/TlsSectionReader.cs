using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>Reads <c>tls:</c> — <c>cert_file</c> and <c>key_file</c> (both or neither) and <c>client_ca_file</c>, absolute paths.</summary>
internal static class TlsSectionReader
{
    public static TlsSettings? Read(YamlNode section, List<ConfigProblem> problems)
    {
        var settings = SettingsSection.Read(section, "tls", TlsSettings.Defaults, ["cert_file", "key_file", "client_ca_file"], problems,
            (settings, key, value, path) => key switch
            {
                "cert_file" => settings with { CertFile = GatewaySectionReader.AbsolutePath(value, path, problems) },
                "key_file" => settings with { KeyFile = GatewaySectionReader.AbsolutePath(value, path, problems) },
                _ => settings with { ClientCaFile = GatewaySectionReader.AbsolutePath(value, path, problems) },
            });
        if (settings is not null && (settings.CertFile is null) != (settings.KeyFile is null))
        {
            problems.Add(RuntimeConfigReader.At(section, "tls", "cert_file and key_file go together"));
            return null;
        }
        if (settings is { CertFile: null, ClientCaFile: not null })
        {
            problems.Add(RuntimeConfigReader.At(section, "tls", "client_ca_file needs the server's own cert_file and key_file"));
            return null;
        }
        return settings;
    }
}
