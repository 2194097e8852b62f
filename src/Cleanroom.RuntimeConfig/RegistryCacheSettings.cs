namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>registry_cache:</c> section: how many bytes the host keeps of packages fetched through the gateway's registry
/// routes (all registries together; least recently used first out), and how long a package's metadata (an npm package
/// document, a PyPI index page) is served without asking the upstream again. <see cref="MaxBytes"/> null: a tenth of
/// the cache file system's free space when the server starts.
/// </summary>
public sealed record RegistryCacheSettings(long? MaxBytes, int MetadataTtlSeconds)
{
    public static RegistryCacheSettings Defaults { get; } = new(null, 300);
}
