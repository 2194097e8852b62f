namespace Cleanroom.Agent.Files;

/// <summary>Validation of the relative paths archives carry (members to read, entries to write).</summary>
internal static class RelativeMember
{
    /// <summary>The path in canonical form ("a/b", no "." parts, no trailing '/'), or null with a reason.</summary>
    public static string? Normalize(string path, out string? problem)
    {
        problem = null;
        if (path.Length == 0 || path.Contains('\0'))
        {
            problem = "an archive path is empty or contains a NUL character";
            return null;
        }
        if (path[0] == '/')
        {
            problem = $"archive path {path} is absolute";
            return null;
        }
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(part => part != ".").ToArray();
        if (parts.Contains(".."))
        {
            problem = $"archive path {path} leaves its root with '..'";
            return null;
        }
        if (parts.Length == 0)
        {
            problem = $"archive path {path} names the root itself";
            return null;
        }
        return string.Join('/', parts);
    }
}
