namespace Cleanroom.Agent.Files;

/// <summary>Validation shared by file reads and writes.</summary>
internal static class GuestPath
{
    /// <summary>
    /// Only absolute paths: a relative one would depend on the agent's working directory, which the
    /// host neither sees nor controls.
    /// </summary>
    public static string? Problem(string path) =>
        path.Length == 0 ? "the path is empty"
        : path[0] != '/' ? $"the path {path} is not absolute"
        : path.Contains('\0') ? "the path contains a NUL character"
        : null;
}
