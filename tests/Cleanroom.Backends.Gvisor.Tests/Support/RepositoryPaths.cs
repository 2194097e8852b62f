namespace Cleanroom.Backends.Gvisor.Tests.Support;

internal static class RepositoryPaths
{
    /// <summary>The checkout this test assembly was built from (the folder holding Cleanroom.slnx).</summary>
    public static string Root { get; } = FindRoot();

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cleanroom.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no Cleanroom.slnx above {AppContext.BaseDirectory}");
    }
}
