using Cleanroom.Errors;

namespace Cleanroom.Workspace;

/// <summary>
/// The only paths a workspace transfer may name: relative, '/'-separated, no "." or ".." parts, no NUL,
/// and nothing inside .git (a file written there, a hook say, would run on the host).
/// </summary>
public static class WorkspacePath
{
    public static string Check(string path)
    {
        var problem = Problem(path);
        if (problem is not null)
            throw new CleanroomException(ErrorCode.PathUnsafe, $"refusing path '{path}': {problem}");
        return path;
    }

    public static string? Problem(string path)
    {
        if (path.Length == 0)
            return "it is empty";
        if (path.Contains('\0'))
            return "it contains a NUL character";
        if (path[0] == '/')
            return "it is absolute";
        var parts = path.Split('/');
        if (parts.Any(p => p.Length == 0 || p == "."))
            return "it has an empty or '.' component";
        if (parts.Contains(".."))
            return "it leaves the workspace with '..'";
        if (parts[0].Equals(".git", StringComparison.OrdinalIgnoreCase))
            return "it is inside .git";
        return null;
    }
}
