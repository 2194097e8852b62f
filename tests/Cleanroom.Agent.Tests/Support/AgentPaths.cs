namespace Cleanroom.Agent.Tests.Support;

/// <summary>Where the agent under test lives.</summary>
internal static class AgentPaths
{
    /// <summary>Copied next to the tests by the project reference.</summary>
    public static string ManagedAgentDll => Path.Combine(AppContext.BaseDirectory, "cleanroom-agent.dll");

    /// <summary>The repository root (the folder with Directory.Packages.props).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props")))
                    return dir.FullName;
            }
            throw new InvalidOperationException("cannot find the repository root above " + AppContext.BaseDirectory);
        }
    }

    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
