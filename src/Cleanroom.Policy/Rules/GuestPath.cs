namespace Cleanroom.Policy.Rules;

/// <summary>
/// Absolute paths inside the sandbox, normalised to one spelling (<c>/a//b/./c/</c> is <c>/a/b/c</c>).
/// <c>..</c> is rejected rather than resolved: a policy path that climbs is a mistake or an escape attempt.
/// </summary>
internal static class GuestPath
{
    public const string DefaultRepositoryPath = "/workspace";

    private static readonly char[] NonLiteralCharacters = ['$', '*', '?', '[', ']', '{', '}'];

    /// <summary>Normalises an absolute path; returns null with <paramref name="error"/> set when invalid.</summary>
    public static string? NormalizeAbsolute(string raw, out string error)
    {
        error = "";
        if (raw.Contains('\0'))
        {
            error = "path must not contain a NUL character";
            return null;
        }

        if (!raw.StartsWith('/'))
        {
            error = $"path \"{raw}\" must be absolute (start with /)";
            return null;
        }

        var parts = new List<string>();
        foreach (var part in raw.Split('/'))
        {
            if (part == "..")
            {
                error = $"path \"{raw}\" must not contain \"..\"";
                return null;
            }

            if (part.Length > 0 && part != ".")
            {
                parts.Add(part);
            }
        }

        return "/" + string.Join('/', parts);
    }

    /// <summary>The repository checkout location in the guest; the filesystem root is refused.</summary>
    public static string? NormalizeRepositoryPath(string raw, out string error)
    {
        var normalized = NormalizeAbsolute(raw, out error);
        if (normalized is not null && normalized.IndexOfAny(NonLiteralCharacters) >= 0)
        {
            // Output paths are resolved against this path and must stay literal, so it must be literal too.
            error = $"repository.path \"{raw}\" must be a literal path, without $ or glob characters (* ? [ ] {{ }})";
            return null;
        }

        if (normalized == "/")
        {
            error = "repository.path must not be / (the guest's root directory)";
            return null;
        }

        return normalized;
    }

    /// <summary>True when <paramref name="inner"/> equals <paramref name="outer"/> or lies below it.</summary>
    public static bool IsSameOrInside(string inner, string outer) =>
        inner == outer || inner.StartsWith(outer.EndsWith('/') ? outer : outer + "/", StringComparison.Ordinal);
}
