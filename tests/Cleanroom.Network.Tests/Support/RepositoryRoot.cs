namespace Cleanroom.Network.Tests;

/// <summary>The checkout this test assembly was built from (the folder holding Cleanroom.slnx).</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Cleanroom.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no Cleanroom.slnx above {AppContext.BaseDirectory}");
    }
}
