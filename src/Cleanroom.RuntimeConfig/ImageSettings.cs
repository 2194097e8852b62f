using System.Collections.Immutable;

namespace Cleanroom.RuntimeConfig;

/// <summary>The <c>images:</c> section: how the server reaches registries. Null numbers mean the puller's defaults.</summary>
public sealed record ImageSettings(
    ImmutableArray<string> InsecureRegistries,
    ImmutableSortedDictionary<string, RegistryLogin> Credentials,
    string? DockerConfig,
    int? MaxConcurrentDownloads,
    int? MaxRetries)
{
    public static ImageSettings Defaults { get; } = new([], ImmutableSortedDictionary<string, RegistryLogin>.Empty, null, null, null);
}

/// <summary>A registry username and password from the runtime config; never printed.</summary>
public sealed record RegistryLogin(string Username, string Password)
{
    public override string ToString() => $"{Username}:***";
}
