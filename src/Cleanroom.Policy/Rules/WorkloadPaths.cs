namespace Cleanroom.Policy.Rules;

/// <summary>
/// The paths a dependency or service block declares. Inputs are repository-relative file globs (they key
/// the cache); outputs are concrete directories or files whose contents are cached, so no globs there.
/// </summary>
internal static class WorkloadPaths
{
    /// <summary>The home directory of the sandbox user, kept symbolic because only the guest knows it.</summary>
    public const string Home = "${HOME}";

    private static readonly char[] GlobCharacters = ['*', '?', '[', ']', '{', '}'];

    /// <summary>Normalises a repository-relative input glob such as <c>./src//*.go</c> to <c>src/*.go</c>.</summary>
    public static string? NormalizeInput(string raw, out string error)
    {
        error = "";
        if (raw.Contains('\0'))
        {
            error = "input path must not contain a NUL character";
            return null;
        }

        if (raw.StartsWith('/') || raw.StartsWith('~') || raw.StartsWith('$'))
        {
            error = $"input \"{raw}\" must be relative to the repository root";
            return null;
        }

        var parts = raw.Split('/').Where(p => p.Length > 0 && p != ".").ToArray();
        if (parts.Contains(".."))
        {
            error = $"input \"{raw}\" must not contain \"..\"";
            return null;
        }

        if (parts.Length == 0)
        {
            error = "input must name a file or a glob, not the repository root";
            return null;
        }

        return string.Join('/', parts);
    }

    /// <summary>
    /// Normalises an output path to an absolute guest path or a <c>${HOME}/...</c> path. Relative paths and
    /// <c>${WORKSPACE}</c> resolve against the repository path, so "the same directory" has one spelling.
    /// </summary>
    public static string? NormalizeOutput(string raw, string repositoryPath, out string error)
    {
        error = "";
        if (raw.Contains('\0'))
        {
            error = "output path must not contain a NUL character";
            return null;
        }

        var (root, rest) = SplitRoot(raw, repositoryPath);
        if (root is null || rest.Contains('$'))
        {
            error = $"output \"{raw}\" may only use ${{HOME}}, $HOME, ~ or ${{WORKSPACE}} as a prefix; no other variables";
            return null;
        }

        if (rest.IndexOfAny(GlobCharacters) >= 0)
        {
            error = $"output \"{raw}\" must be a concrete path; globs are allowed only in inputs.files";
            return null;
        }

        var parts = rest.Split('/').Where(p => p.Length > 0 && p != ".").ToArray();
        if (parts.Contains(".."))
        {
            error = $"output \"{raw}\" must not contain \"..\"";
            return null;
        }

        var path = root == Home
            ? (parts.Length == 0 ? Home : Home + "/" + string.Join('/', parts))
            : "/" + string.Join('/', root.Split('/').Concat(parts).Where(p => p.Length > 0));
        if (path == "/")
        {
            error = "output must not be / (the whole guest filesystem)";
            return null;
        }

        if (path == repositoryPath)
        {
            error = $"output \"{raw}\" is the repository root ({repositoryPath}); declare the directories inside it that hold the outputs";
            return null;
        }

        return path;
    }

    private static (string? Root, string Remainder) SplitRoot(string raw, string repositoryPath)
    {
        foreach (var (prefix, root) in new[]
        {
            ("${HOME}", Home), ("$HOME", Home), ("~", Home),
            ("${WORKSPACE}", repositoryPath), ("$WORKSPACE", repositoryPath),
        })
        {
            if (raw == prefix || raw.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                return (root, raw[prefix.Length..]);
            }
        }

        if (raw.Contains('$') || raw.StartsWith('~'))
        {
            return (null, raw);
        }

        return raw.StartsWith('/') ? ("/", raw) : (repositoryPath, raw);
    }
}
