using System.Collections.Immutable;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Where one secret's value is read from on the host (<c>secrets.ID: {env: NAME}</c> or <c>{file: /path}</c>):
/// exactly one of <see cref="Env"/> and <see cref="File"/>. Only the source is configured: the value is read by the
/// gateway when a request needs it and is never part of the configuration object.
/// </summary>
public sealed record SecretSource(string Id, string? Env, string? File)
{
    /// <summary>Where the value comes from, for messages and <c>doctor</c>: never the value.</summary>
    public string Describe() => Env is not null ? $"environment variable {Env}" : $"file {File}";
}

/// <summary>The <c>secrets:</c> section: secret ids a policy's <c>secrets:</c> bindings may name, and their sources.</summary>
public static class SecretSettings
{
    public static ImmutableSortedDictionary<string, SecretSource> None { get; } =
        ImmutableSortedDictionary<string, SecretSource>.Empty.WithComparers(StringComparer.Ordinal);
}
