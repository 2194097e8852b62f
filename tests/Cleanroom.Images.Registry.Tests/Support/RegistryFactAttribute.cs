namespace Cleanroom.Images.Registry.Tests.Support;

/// <summary>
/// A test against a real registry: skipped, with the reason, only when a tool it needs is not installed
/// (scripts/test.sh installs docker-registry, skopeo and apache2-utils, so there nothing skips).
/// </summary>
public sealed class RegistryFactAttribute : FactAttribute
{
    public RegistryFactAttribute()
    {
        if (RegistryTools.Missing() is { } missing)
        {
            Skip = missing;
        }
    }
}
