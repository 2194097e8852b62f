using System.Collections.Immutable;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The host's runtime config (<c>config.yaml</c>): operator choices that never belong in a repository's
/// policy. Backend sections are kept as validated string settings; each backend reads its own.
/// </summary>
public sealed record RuntimeConfiguration(
    string? DefaultBackend,
    ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>> Backends)
{
    public static RuntimeConfiguration Empty { get; } = new(
        null, ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>.Empty);

    /// <summary>The settings of one backend's section, empty when the section is absent.</summary>
    public IReadOnlyDictionary<string, string> BackendSettings(string backend) =>
        Backends.TryGetValue(backend, out var section) ? section : ImmutableSortedDictionary<string, string>.Empty;
}
