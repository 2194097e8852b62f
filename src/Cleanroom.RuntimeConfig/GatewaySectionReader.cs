using System.Collections.Immutable;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Reads <c>gateway:</c> — <c>listen_port</c>, <c>upstream_ca_file</c>, <c>credentials.hosts.HOST</c> with exactly one
/// of <c>token_env</c>/<c>token_file</c> (and an optional <c>username</c>) or a <c>helper</c>,
/// <c>credentials.github_app</c> (<see cref="GitHubAppSectionReader"/>) and <c>mirrors</c>. Only the shape is checked
/// here; whether a token can be read is the server's (and <c>doctor</c>'s) business, since the variable or file may
/// appear later.
/// </summary>
internal static partial class GatewaySectionReader
{
    private static readonly string[] Known = ["listen_port", "upstream_ca_file", "credentials", "mirrors"];
    private static readonly string[] KnownCredential = ["token_env", "token_file", "username", "helper"];
    private static readonly string[] KnownMirrors = ["max_bytes", "expire_after_days"];

    public static GatewaySettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, "gateway", GatewaySettings.Defaults, Known, problems,
            (settings, key, value, path) => key switch
            {
                "listen_port" => settings with { ListenPort = ListenPort(value, path, problems) },
                "upstream_ca_file" => settings with { UpstreamCaFile = AbsolutePath(value, path, problems) },
                "mirrors" => settings with { Mirrors = Mirrors(value, path, problems) },
                _ => Credentials(settings, value, path, problems),
            });

    private static MirrorSettings Mirrors(YamlNode value, string path, List<ConfigProblem> problems)
    {
        var mirrors = MirrorSettings.Defaults;
        foreach (var (key, keyNode, entry) in RuntimeConfigReader.MappingEntries(value, path, problems))
        {
            var keyPath = $"{path}.{key}";
            mirrors = key switch
            {
                "max_bytes" => mirrors with { MaxBytes = SettingsSection.WholeNumber(entry, keyPath, 1, long.MaxValue, problems) },
                "expire_after_days" => mirrors with { ExpireAfterDays = (int)SettingsSection.WholeNumber(entry, keyPath, 1, 36500, problems) },
                _ => Unknown(mirrors, keyNode, keyPath, key, KnownMirrors, problems),
            };
        }

        return mirrors;
    }

    private static T Unknown<T>(T unchanged, YamlNode keyNode, string path, string key, string[] known, List<ConfigProblem> problems)
    {
        problems.Add(RuntimeConfigReader.At(keyNode, path, $"unknown setting '{key}'; known settings are {string.Join(", ", known)}"));
        return unchanged;
    }

    private static int ListenPort(YamlNode value, string path, List<ConfigProblem> problems)
    {
        var port = (int)SettingsSection.WholeNumber(value, path, 1, 65535, problems);
        if (port == 53)
            problems.Add(RuntimeConfigReader.At(value, path, "53 is the policy resolver's port on the same address; choose another"));
        return port;
    }

    private static GatewaySettings Credentials(GatewaySettings settings, YamlNode value, string path, List<ConfigProblem> problems)
    {
        var hosts = GatewaySettings.Defaults.CredentialHosts.ToBuilder();
        foreach (var (key, keyNode, hostsNode) in RuntimeConfigReader.MappingEntries(value, path, problems))
        {
            var hostsPath = $"{path}.{key}";
            if (key == "github_app")
            {
                settings = settings with { GitHubApp = GitHubAppSectionReader.Read(hostsNode, hostsPath, problems) };
                continue;
            }

            if (key != "hosts")
            {
                problems.Add(RuntimeConfigReader.At(keyNode, hostsPath, $"unknown setting '{key}'; known settings are hosts, github_app"));
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

        return settings with { CredentialHosts = hosts.ToImmutable() };
    }

    private static GatewayCredentialSource? Credential(string host, YamlNode entry, string path, List<ConfigProblem> problems)
    {
        var before = problems.Count;
        string? tokenEnv = null, tokenFile = null, username = null, helper = null;
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
                case "helper":
                    helper = RuntimeConfigReader.ValidScalar(value, keyPath, t => t.Trim().Length is > 0 and <= 4096 && !t.Any(char.IsControl),
                        "must be a git credential helper such as 'store' or '/usr/local/bin/my-helper' (as in git's credential.helper)", problems);
                    break;
                default:
                    problems.Add(RuntimeConfigReader.At(keyNode, keyPath, $"unknown setting '{key}'; known settings are {string.Join(", ", KnownCredential)}"));
                    break;
            }
        }

        var sources = (tokenEnv is null ? 0 : 1) + (tokenFile is null ? 0 : 1) + (helper is null ? 0 : 1);
        if (problems.Count == before && !any)
            problems.Add(RuntimeConfigReader.At(entry, path, "needs token_env, token_file or helper"));
        else if (problems.Count == before && sources != 1)
            problems.Add(RuntimeConfigReader.At(entry, path, "needs exactly one of token_env, token_file and helper"));
        else if (problems.Count == before && helper is not null && username is not null)
            problems.Add(RuntimeConfigReader.At(entry, path, "username goes with a token; a helper answers the user name itself"));
        return problems.Count == before ? new GatewayCredentialSource(host, tokenEnv, tokenFile, username) { Helper = helper } : null;
    }

    internal static string? AbsolutePath(YamlNode value, string path, List<ConfigProblem> problems) =>
        RuntimeConfigReader.ValidScalar(value, path, t => t.StartsWith('/') && !t.Any(char.IsControl), "must be an absolute path", problems);

    [GeneratedRegex("^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")]
    internal static partial Regex HostName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvironmentName();
}
