namespace Cleanroom.Images.Registry.Tests.Support;

/// <summary>
/// A test against a real registry: skipped, with the reason, only when a tool it needs is not installed
/// (scripts/test.sh installs docker-registry, skopeo and apache2-utils, so there nothing skips).
/// </summary>
public sealed class RegistryFactAttribute : FactAttribute
{
    public RegistryFactAttribute()
    {
        if (Tools.Missing() is { } missing)
        {
            Skip = missing;
        }
    }
}

public static class Tools
{
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
