using System.Collections.Immutable;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Reads <c>gateway.credentials.github_app</c>: <c>app_id</c>, <c>installation_id</c> (digits), <c>private_key_file</c>
/// (absolute path), <c>repo_prefixes</c> (a non-empty list such as <c>[org/]</c>), and the optional <c>api_url</c>
/// (default <c>https://api.github.com</c>) and <c>host</c> (the git host the App's tokens are for, default
/// <c>github.com</c>). Whether the key file holds an RSA key is checked when the server starts and by <c>doctor</c>.
/// </summary>
internal static partial class GitHubAppSectionReader
{
    private static readonly string[] Known = ["app_id", "installation_id", "private_key_file", "repo_prefixes", "api_url", "host"];

    public static GitHubAppSettings? Read(YamlNode section, string path, List<ConfigProblem> problems)
    {
        var before = problems.Count;
        string? appId = null, installationId = null, keyFile = null, host = GitHubAppSettings.DefaultHost;
        var apiUrl = GitHubAppSettings.DefaultApiUrl;
        ImmutableArray<string>? prefixes = null;
        foreach (var (key, keyNode, value) in RuntimeConfigReader.MappingEntries(section, path, problems))
        {
            var keyPath = $"{path}.{key}";
            switch (key)
            {
                case "app_id":
                    appId = RuntimeConfigReader.ValidScalar(value, keyPath, Digits().IsMatch, "must be the App's numeric id, such as \"12345\"", problems);
                    break;
                case "installation_id":
                    installationId = RuntimeConfigReader.ValidScalar(value, keyPath, Digits().IsMatch, "must be the installation's numeric id, such as \"67890\"", problems);
                    break;
                case "private_key_file":
                    keyFile = GatewaySectionReader.AbsolutePath(value, keyPath, problems);
                    break;
                case "repo_prefixes":
                    prefixes = Prefixes(value, keyPath, problems);
                    break;
                case "api_url":
                    apiUrl = RuntimeConfigReader.ValidScalar(value, keyPath, t => ApiUrl(t) is not null,
                        "must be an absolute http(s) URL with no query, such as https://api.github.com", problems) is { } text ? ApiUrl(text)! : apiUrl;
                    break;
                case "host":
                    host = RuntimeConfigReader.ValidScalar(value, keyPath, GatewaySectionReader.HostName().IsMatch, "must be a lowercase DNS name such as github.com", problems);
                    break;
                default:
                    problems.Add(RuntimeConfigReader.At(keyNode, keyPath, $"unknown setting '{key}'; known settings are {string.Join(", ", Known)}"));
                    break;
            }
        }

        if (problems.Count != before)
            return null;
        var missing = new[] { ("app_id", appId), ("installation_id", installationId), ("private_key_file", keyFile) }
            .Where(m => m.Item2 is null).Select(m => m.Item1).Concat(prefixes is null ? ["repo_prefixes"] : []).ToList();
        if (missing.Count > 0)
        {
            problems.Add(RuntimeConfigReader.At(section, path, $"needs {string.Join(", ", missing)}"));
            return null;
        }

        return new GitHubAppSettings(appId!, installationId!, keyFile!, prefixes!.Value, apiUrl, host!);
    }

    private static ImmutableArray<string>? Prefixes(YamlNode value, string path, List<ConfigProblem> problems)
    {
        if (value is not YamlSequenceNode { Children.Count: > 0 } list)
        {
            problems.Add(RuntimeConfigReader.At(value, path, "must be a non-empty list of repository prefixes such as [org/]"));
            return null;
        }

        var prefixes = ImmutableArray.CreateBuilder<string>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            if (RuntimeConfigReader.ValidScalar(list.Children[i], $"{path}[{i}]", Prefix().IsMatch,
                    "must be a repository prefix such as org/ or org/repo (no leading slash, no '.' or '..' segments)", problems) is { } prefix)
                prefixes.Add(prefix);
        }

        return prefixes.ToImmutable();
    }

    private static Uri? ApiUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.Query.Length == 0 && uri.Fragment.Length == 0
            && uri.UserInfo.Length == 0
            ? new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/'))
            : null;

    [GeneratedRegex("^[0-9]{1,20}$")]
    private static partial Regex Digits();

    // One or more segments of GitHub's name characters, the last optionally followed by '/'; no dot segments.
    [GeneratedRegex(@"^(?!\.{1,2}(/|$))[A-Za-z0-9_.-]+(/(?!\.{1,2}(/|$))[A-Za-z0-9_.-]+)*/?$")]
    private static partial Regex Prefix();
}
