namespace Cleanroom.Agent.ExecHelper;

/// <summary>
/// Where to look for argv[0], the way execvp does, but with the command's PATH rather than the
/// agent's, and done by hand so "not found" (127) and "found but not executable" (126) stay apart.
/// </summary>
internal static class CommandSearch
{
    /// <summary>Used when the command's environment has no PATH, as most shells do.</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static IReadOnlyList<string> Candidates(string command, IReadOnlyList<string> environment)
    {
        if (command.Contains('/'))
            return [command];
        var path = environment.FirstOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? DefaultPath;
        return path.Split(':')
            .Select(dir => dir.Length == 0 ? "." : dir) // an empty PATH element means the current directory
            .Select(dir => dir.EndsWith('/') ? dir + command : dir + "/" + command)
            .ToList();
    }
}
