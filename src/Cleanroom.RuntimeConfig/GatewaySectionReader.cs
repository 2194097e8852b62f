using System.Collections.Immutable;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Reads <c>gateway:</c> — <c>listen_port</c>, <c>upstream_ca_file</c> and <c>credentials.hosts.HOST</c> with exactly one
/// of <c>token_env</c>/<c>token_file</c> and an optional <c>username</c>. Only the shape is checked here; whether a token
/// can be read is the server's (and <c>doctor</c>'s) business, since the variable or file may appear later.
/// </summary>
internal static partial class GatewaySectionReader
{
    private static readonly string[] Known = ["listen_port", "upstream_ca_file", "credentials"];
    private static readonly string[] KnownCredential = ["token_env", "token_file", "username"];

    public static GatewaySettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, "gateway", GatewaySettings.Defaults, Known, problems,
            (settings, key, value, path) => key switch
            {
                "listen_port" => settings with { ListenPort = ListenPort(value, path, problems) },
                "upstream_ca_file" => settings with { UpstreamCaFile = AbsolutePath(value, path, problems) },
                _ => settings with { CredentialHosts = Credentials(value, path, problems) },
            });

    private static int ListenPort(YamlNode value, string path, List<ConfigProblem> problems)
    {
        var port = (int)SettingsSection.WholeNumber(value, path, 1, 65535, problems);
        if (port == 53)
            problems.Add(RuntimeConfigReader.At(value, path, "53 is the policy resolver's port on the same address; choose another"));
        return port;
    }

    private static ImmutableSortedDictionary<string, GatewayCredentialSource> Credentials(YamlNode value, string path, List<ConfigProblem> problems)
    {
        var hosts = GatewaySettings.Defaults.CredentialHosts.ToBuilder();
        foreach (var (key, keyNode, hostsNode) in RuntimeConfigReader.MappingEntries(value, path, problems))
        {
            var hostsPath = $"{path}.{key}";
            if (key != "hosts")
            {
                problems.Add(RuntimeConfigReader.At(keyNode, hostsPath, $"unknown setting '{key}'; known settings are hosts"));
                continue;
            }

            foreach (var (host, hostNode, entry) in RuntimeConfigReader.MappingEntries(hostsNode, hostsPath, problems))
            {
                var entryPath = $"{hostsPath}.{host}";
                if (!HostName().IsMatch(host))
                {
                    problems.Add(RuntimeConfigReader.At(hostNode, entryPath, $"'{host}' is not a lowercase DNS name such as git.example.com"));
                    continue;
                }

                if (Credential(host, entry, entryPath, problems) is { } source)
                    hosts[host] = source;
            }
        }

        return hosts.ToImmutable();
    }

    private static GatewayCredentialSource? Credential(string host, YamlNode entry, string path, List<ConfigProblem> problems)
    {
        var before = problems.Count;
        string? tokenEnv = null, tokenFile = null, username = null;
        var any = false;
        foreach (var (key, keyNode, value) in RuntimeConfigReader.MappingEntries(entry, path, problems))
        {
            any = true;
            var keyPath = $"{path}.{key}";
            switch (key)
            {
                case "token_env":
                    tokenEnv = RuntimeConfigReader.ValidScalar(value, keyPath, EnvironmentName().IsMatch, "must be an environment variable name such as GIT_EXAMPLE_TOKEN", problems);
                    break;
                case "token_file":
                    tokenFile = AbsolutePath(value, keyPath, problems);
                    break;
                case "username":
                    username = RuntimeConfigReader.ValidScalar(value, keyPath, t => t.Length is > 0 and <= 256 && !t.Contains(':') && !t.Any(char.IsControl),
                        "must be a user name without ':' or control characters", problems);
                    break;
                default:
                    problems.Add(RuntimeConfigReader.At(keyNode, keyPath, $"unknown setting '{key}'; known settings are {string.Join(", ", KnownCredential)}"));
                    break;
            }
        }

        if (problems.Count == before && any && (tokenEnv is null) == (tokenFile is null))
            problems.Add(RuntimeConfigReader.At(entry, path, "needs exactly one of token_env and token_file"));
        else if (problems.Count == before && !any)
            problems.Add(RuntimeConfigReader.At(entry, path, "needs token_env or token_file"));
        return problems.Count == before ? new GatewayCredentialSource(host, tokenEnv, tokenFile, username) : null;
    }

    private static string? AbsolutePath(YamlNode value, string path, List<ConfigProblem> problems) =>
        RuntimeConfigReader.ValidScalar(value, path, t => t.StartsWith('/') && !t.Any(char.IsControl), "must be an absolute path", problems);

    [GeneratedRegex("^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")]
    private static partial Regex HostName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvironmentName();
}
