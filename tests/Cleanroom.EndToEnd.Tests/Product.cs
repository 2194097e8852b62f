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

    /// <summary>
    /// The debian-docker image (docker.io from Debian, for policies with <c>docker.required</c>) that setup built, imported
    /// through <paramref name="server"/> into the host's store (a no-op when it is there): its digest-pinned reference.
    /// </summary>
    public static async Task<string> DockerImageAsync(RealServer server)
    {
        var tar = Path.Combine(RepositoryRoot, "out", "images", "debian-docker.tar");
        if (!File.Exists(tar))
        {
            throw new InvalidOperationException($"{tar} is missing; run scripts/setup.sh (or scripts/build-images.sh out/images debian-docker)");
        }

        var imported = await server.CleanroomAsync("image", "import", "cleanroom.local/debian-docker:latest", tar);
        if (imported.ExitCode != 0)
        {
            throw new InvalidOperationException($"importing {tar} failed: {imported}");
        }

        return imported.Stdout.Trim();
    }

    /// <summary>
    /// The debian-registry image (Debian's npm and python3-pip, for the registry gateway's tests), built by
    /// <c>scripts/build-images.sh out/images debian-registry</c> (the test script does it), imported like the Docker image.
    /// </summary>
    public static Task<string> RegistryImageAsync(RealServer server) => BuiltImageAsync(server, "debian-registry");

    /// <summary>Imports one of scripts/build-images.sh's images (out/images/NAME.tar) into the server; returns its reference.</summary>
    public static async Task<string> BuiltImageAsync(RealServer server, string name)
    {
        var tar = Path.Combine(RepositoryRoot, "out", "images", $"{name}.tar");
        if (!File.Exists(tar))
            throw new InvalidOperationException($"{tar} is missing; run scripts/build-images.sh out/images {name}");
        var imported = await server.CleanroomAsync("image", "import", $"cleanroom.local/{name}:latest", tar);
        if (imported.ExitCode != 0)
            throw new InvalidOperationException($"importing {tar} failed: {imported}");
        return imported.Stdout.Trim();
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
