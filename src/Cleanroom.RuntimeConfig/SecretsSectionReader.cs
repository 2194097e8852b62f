using System.Collections.Immutable;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Reads <c>secrets:</c> — a mapping of secret id (lowercase letters, digits and <c>_</c>, starting with a letter: the
/// policy names it and the guest sees <c>CLEANROOM_SECRET_ID</c>) to exactly one of <c>env</c> (a variable of the
/// server's environment) and <c>file</c> (an absolute path). Only the shape is checked here; whether the value can be
/// read is the server's (and <c>doctor</c>'s) business, since the variable or file may appear later.
/// </summary>
internal static partial class SecretsSectionReader
{
    private static readonly string[] Known = ["env", "file"];

    public static ImmutableSortedDictionary<string, SecretSource> Read(YamlNode section, List<ConfigProblem> problems)
    {
        var secrets = SecretSettings.None.ToBuilder();
        foreach (var (id, idNode, entry) in RuntimeConfigReader.MappingEntries(section, "secrets", problems))
        {
            var path = $"secrets.{id}";
            if (!Id().IsMatch(id))
            {
                problems.Add(RuntimeConfigReader.At(idNode, path,
                    $"'{id}' is not a secret id: lowercase letters, digits and '_', starting with a letter, at most 64 (e.g. api_token)"));
                continue;
            }

            if (Source(id, entry, path, problems) is { } source)
                secrets[id] = source;
        }

        return secrets.ToImmutable();
    }

    private static SecretSource? Source(string id, YamlNode entry, string path, List<ConfigProblem> problems)
    {
        var before = problems.Count;
        string? env = null, file = null;
        var any = false;
        foreach (var (key, keyNode, value) in RuntimeConfigReader.MappingEntries(entry, path, problems))
        {
            any = true;
            var keyPath = $"{path}.{key}";
            switch (key)
            {
                case "env":
                    env = RuntimeConfigReader.ValidScalar(value, keyPath, EnvironmentName().IsMatch, "must be an environment variable name such as API_TOKEN", problems);
                    break;
                case "file":
                    file = RuntimeConfigReader.ValidScalar(value, keyPath, t => t.StartsWith('/') && !t.Any(char.IsControl), "must be an absolute path", problems);
                    break;
                default:
                    problems.Add(RuntimeConfigReader.At(keyNode, keyPath, $"unknown setting '{key}'; known settings are {string.Join(", ", Known)}"));
                    break;
            }
        }

        if (problems.Count == before && !any)
            problems.Add(RuntimeConfigReader.At(entry, path, "needs env or file"));
        else if (problems.Count == before && (env is null) == (file is null))
            problems.Add(RuntimeConfigReader.At(entry, path, "needs exactly one of env and file"));
        return problems.Count == before ? new SecretSource(id, env, file) : null;
    }

    /// <summary>The same shape the policy compiler accepts for a binding's id.</summary>
    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex Id();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvironmentName();
}
