using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Reads <c>auth.policy</c>: a list of <c>{match, allow, backends, images, allow_all}</c>. <c>match</c> is one
/// <c>{claim, pattern}</c> or a list of them (all must hold). Unknown keys, unknown backends and empty patterns are
/// problems: a typo must not quietly widen or narrow what a principal may do.
/// </summary>
internal static class AuthPolicyReader
{
    private static readonly string[] Known = ["match", "allow", "backends", "images", "allow_all"];

    public static ImmutableArray<AuthPolicyRule> Read(YamlNode value, string path, List<ConfigProblem> problems)
    {
        if (value is YamlScalarNode { Value: null or "" }) return [];
        if (value is not YamlSequenceNode list)
        {
            problems.Add(RuntimeConfigReader.At(value, path, "must be a list of rules {match: {claim, pattern}, allow, backends, images, allow_all}"));
            return [];
        }
        var rules = ImmutableArray.CreateBuilder<AuthPolicyRule>();
        for (var i = 0; i < list.Children.Count; i++)
            if (Rule(list.Children[i], $"{path}[{i}]", problems) is { } rule) rules.Add(rule);
        return rules.ToImmutable();
    }

    private static AuthPolicyRule? Rule(YamlNode item, string path, List<ConfigProblem> problems)
    {
        var before = problems.Count;
        ImmutableArray<ClaimPattern>? match = null;
        bool? allow = null;
        var allowAll = false;
        ImmutableArray<string>? backends = null, images = null;
        foreach (var (key, keyNode, value) in RuntimeConfigReader.MappingEntries(item, path, problems))
        {
            var at = $"{path}.{key}";
            switch (key)
            {
                case "match": match = Match(value, at, problems); break;
                case "allow": allow = SettingsSection.Boolean(value, at, problems); break;
                case "allow_all": allowAll = SettingsSection.Boolean(value, at, problems); break;
                case "backends": backends = Names(value, at, problems, Backend); break;
                case "images": images = Names(value, at, problems, Glob); break;
                default:
                    problems.Add(RuntimeConfigReader.At(keyNode, at, $"unknown setting '{key}'; known settings are {string.Join(", ", Known)}"));
                    break;
            }
        }
        if (problems.Count != before) return null;
        if (match is null || allow is null)
        {
            problems.Add(RuntimeConfigReader.At(item, path, "each rule needs match ({claim, pattern}) and allow (true or false)"));
            return null;
        }
        if (allow == false && (backends is not null || images is not null || allowAll))
        {
            problems.Add(RuntimeConfigReader.At(item, path, "a rule with allow: false denies everything; backends, images and allow_all belong to allowing rules"));
            return null;
        }
        return new AuthPolicyRule(match.Value, allow.Value, backends, images, allowAll);
    }

    private static ImmutableArray<ClaimPattern>? Match(YamlNode value, string path, List<ConfigProblem> problems)
    {
        if (value is YamlSequenceNode list)
        {
            if (list.Children.Count == 0)
            {
                problems.Add(RuntimeConfigReader.At(value, path, "must name at least one {claim, pattern}"));
                return null;
            }
            var patterns = ImmutableArray.CreateBuilder<ClaimPattern>();
            for (var i = 0; i < list.Children.Count; i++)
                if (Pattern(list.Children[i], $"{path}[{i}]", problems) is { } pattern) patterns.Add(pattern);
            return patterns.Count == list.Children.Count ? patterns.ToImmutable() : null;
        }
        return Pattern(value, path, problems) is { } one ? [one] : null;
    }

    private static ClaimPattern? Pattern(YamlNode item, string path, List<ConfigProblem> problems)
    {
        string? claim = null, pattern = null;
        var before = problems.Count;
        foreach (var (key, keyNode, value) in RuntimeConfigReader.MappingEntries(item, path, problems))
        {
            switch (key)
            {
                case "claim":
                    claim = RuntimeConfigReader.ValidScalar(value, $"{path}.claim", t => t.Length is > 0 and <= 256 && !t.Any(char.IsWhiteSpace),
                        "must be a claim name such as sub or repository", problems);
                    break;
                case "pattern": pattern = Glob(value, $"{path}.pattern", problems); break;
                default: problems.Add(RuntimeConfigReader.At(keyNode, $"{path}.{key}", $"unknown setting '{key}'; known settings are claim, pattern")); break;
            }
        }
        if (problems.Count == before && (claim is null || pattern is null))
            problems.Add(RuntimeConfigReader.At(item, path, "each match is {claim: NAME, pattern: GLOB}"));
        return problems.Count == before ? new ClaimPattern(claim!, pattern!) : null;
    }


    private static ImmutableArray<string>? Names(YamlNode value, string path, List<ConfigProblem> problems, Func<YamlNode, string, List<ConfigProblem>, string?> read)
    {
        if (value is not YamlSequenceNode list)
        {
            problems.Add(RuntimeConfigReader.At(value, path, "must be a list"));
            return null;
        }
        var names = ImmutableArray.CreateBuilder<string>();
        for (var i = 0; i < list.Children.Count; i++)
            if (read(list.Children[i], $"{path}[{i}]", problems) is { } name) names.Add(name);
        return names.ToImmutable();
    }

    private static string? Backend(YamlNode item, string path, List<ConfigProblem> problems) =>
        RuntimeConfigReader.ValidScalar(item, path, t => BackendSectionSchema.Find(t) is not null,
            $"must be a backend name; known backends are {string.Join(", ", BackendSectionSchema.Known.Select(s => s.Backend))}", problems);

    private static string? Glob(YamlNode item, string path, List<ConfigProblem> problems) =>
        RuntimeConfigReader.ValidScalar(item, path, t => t.Length is > 0 and <= 1024 && !t.Any(char.IsControl),
            "must be a non-empty pattern (* matches any run of characters, ? one character)", problems);
}
