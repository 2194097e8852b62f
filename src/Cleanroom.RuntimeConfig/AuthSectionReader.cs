using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Reads <c>auth:</c> — <c>required</c> (true/false), <c>tokens</c> (a list of <c>{file, principal}</c>), <c>oidc</c>
/// (<c>{issuers: [{issuer, audience}]}</c>), <c>admins</c> (a list of principals) and <c>policy</c> (claims rules, read
/// by <see cref="AuthPolicyReader"/>). Token files are read by the server at start, never here, and their content
/// never appears in a problem.
/// </summary>
internal static class AuthSectionReader
{
    private static readonly string[] Known = ["required", "tokens", "oidc", "admins", "policy"];

    public static AuthSettings? Read(YamlNode section, List<ConfigProblem> problems)
    {
        YamlNode? policyNode = null;
        var settings = SettingsSection.Read(section, "auth", AuthSettings.Defaults, Known, problems,
            (settings, key, value, path) => key switch
            {
                "required" => settings with { Required = SettingsSection.Boolean(value, path, problems) },
                "tokens" => settings with { Tokens = Items(value, path, problems, Token) },
                "oidc" => settings with { OidcIssuers = Oidc(value, path, problems) },
                "policy" => settings with { Policy = AuthPolicyReader.Read(policyNode = value, path, problems) },
                _ => settings with { Admins = Items(value, path, problems, Principal) },
            });
        // Without required, anonymous callers would slip past every rule; a policy is only a policy over identities.
        if (settings is { Required: false, Policy.Length: > 0 })
        {
            problems.Add(RuntimeConfigReader.At(policyNode!, "auth.policy", "needs auth.required: true (anonymous callers have no claims to match)"));
            return null;
        }
        return settings;
    }


    private static ImmutableArray<T> Items<T>(YamlNode value, string path, List<ConfigProblem> problems, Func<YamlNode, string, List<ConfigProblem>, T?> read)
        where T : class
    {
        if (value is YamlScalarNode { Value: null or "" }) return [];
        if (value is not YamlSequenceNode list)
        {
            problems.Add(RuntimeConfigReader.At(value, path, "must be a list"));
            return [];
        }
        var items = ImmutableArray.CreateBuilder<T>();
        foreach (var item in list)
            if (read(item, path, problems) is { } read1) items.Add(read1);
        return items.ToImmutable();
    }

    private static string? Principal(YamlNode item, string path, List<ConfigProblem> problems) =>
        RuntimeConfigReader.ValidScalar(item, path, t => t.Length is > 0 and <= 512 && !t.Any(char.IsControl), "each principal is a non-empty name", problems);

    private static AuthToken? Token(YamlNode item, string path, List<ConfigProblem> problems)
    {
        string? file = null, principal = null;
        var before = problems.Count;
        foreach (var (key, keyNode, value) in RuntimeConfigReader.MappingEntries(item, path, problems))
        {
            switch (key)
            {
                case "file": file = GatewaySectionReader.AbsolutePath(value, $"{path}.file", problems); break;
                case "principal": principal = Principal(value, $"{path}.principal", problems); break;
                default: problems.Add(RuntimeConfigReader.At(keyNode, $"{path}.{key}", $"unknown setting '{key}'; known settings are file, principal")); break;
            }
        }
        if (problems.Count == before && (file is null || principal is null))
            problems.Add(RuntimeConfigReader.At(item, path, "each token is {file: /path/to/token, principal: NAME}"));
        return problems.Count == before ? new AuthToken(file!, principal!) : null;
    }

    private static ImmutableArray<AuthIssuer> Oidc(YamlNode value, string path, List<ConfigProblem> problems)
    {
        var issuers = ImmutableArray<AuthIssuer>.Empty;
        foreach (var (key, keyNode, entry) in RuntimeConfigReader.MappingEntries(value, path, problems))
        {
            if (key == "issuers")
                issuers = Items(entry, $"{path}.issuers", problems, Issuer);
            else
                problems.Add(RuntimeConfigReader.At(keyNode, $"{path}.{key}", $"unknown setting '{key}'; known settings are issuers"));
        }
        return issuers;
    }

    private static AuthIssuer? Issuer(YamlNode item, string path, List<ConfigProblem> problems)
    {
        string? issuer = null, audience = null;
        var before = problems.Count;
        foreach (var (key, keyNode, value) in RuntimeConfigReader.MappingEntries(item, path, problems))
        {
            switch (key)
            {
                case "issuer":
                    // https, or http on loopback (an issuer on this host); anything else would fetch keys in cleartext.
                    issuer = RuntimeConfigReader.ValidScalar(value, $"{path}.issuer", IsIssuer,
                        "must be an https:// URL (http:// only on 127.0.0.1, ::1 or localhost)", problems);
                    break;
                case "audience":
                    audience = RuntimeConfigReader.ValidScalar(value, $"{path}.audience", t => t.Length is > 0 and <= 512 && !t.Any(char.IsControl),
                        "must be the audience (aud) the tokens name", problems);
                    break;
                default:
                    problems.Add(RuntimeConfigReader.At(keyNode, $"{path}.{key}", $"unknown setting '{key}'; known settings are issuer, audience"));
                    break;
            }
        }
        if (problems.Count == before && (issuer is null || audience is null))
            problems.Add(RuntimeConfigReader.At(item, path, "each issuer is {issuer: https://..., audience: NAME}"));
        return problems.Count == before ? new AuthIssuer(issuer!, audience!) : null;
    }

    private static bool IsIssuer(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
        && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0;
}
