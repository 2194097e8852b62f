namespace Cleanroom.EndToEnd.Tests;

/// <summary>Where the built product is: the repository these tests were built from, after scripts/setup.sh.</summary>
public static class Product
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Cleanroom => Path.Combine(RepositoryRoot, "out", "bin", "cleanroom");

    /// <summary>The digest-pinned default image, as setup wrote it into examples/basic.</summary>
    public static string DefaultImage
    {
        get
        {
            var policy = Path.Combine(RepositoryRoot, "examples", "basic", "cleanroom.yaml");
            var line = File.ReadLines(policy).Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("ref: ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"{policy} names no image; run scripts/setup.sh");
            return line["ref: ".Length..];
        }
    }

    /// <summary>Fails with what to do when setup has not run: these tests never pass by skipping.</summary>
    public static void RequireSetUp()
    {
        if (!File.Exists(Cleanroom) || !Directory.Exists(Path.Combine(RepositoryRoot, "out", "agent")))
        {
            throw new InvalidOperationException("run scripts/setup.sh first: out/bin/cleanroom and out/agent are needed");
        }

        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("the end-to-end tests run sandboxes and need root");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cleanroom.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root above " + AppContext.BaseDirectory);
    }
}
