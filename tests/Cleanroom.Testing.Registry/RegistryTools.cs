namespace Cleanroom.Testing.Registry;

/// <summary>The host tools the fixture needs; scripts/test.sh installs them (docker-registry, skopeo, apache2-utils).</summary>
public static class RegistryTools
{
    /// <summary>Why the fixture cannot run here (a missing tool and its package), or null when it can.</summary>
    public static string? Missing()
    {
        foreach (var (tool, package) in new[] { ("docker-registry", "docker-registry"), ("skopeo", "skopeo"), ("htpasswd", "apache2-utils") })
        {
            if (Find(tool) is null)
            {
                return $"{tool} is not installed (apt-get install {package})";
            }
        }

        return null;
    }

    public static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Select(directory => Path.Combine(directory, tool))
            .FirstOrDefault(File.Exists);
}
