using System.Collections.Immutable;

namespace Cleanroom.Policy.Tests.Generators;

/// <summary>A destination host with every spelling the compiler must treat as the same host.</summary>
public sealed record HostSpelling(string Canonical, string[] Spellings, bool IsIPv6 = false);

/// <summary>
/// What a generated policy means, independent of how it is written. Two renderings of one model must hash
/// the same; any change to the model must change the hash.
/// </summary>
public sealed record PolicyModel(
    string DigestHex,
    bool AllStages,
    ImmutableArray<ImmutableSortedSet<(string Host, int Port)>> Stages,
    int? Vcpus,
    long? MemoryMiB)
{
    public static readonly string[] StageNames = ["repository", "dependencies", "services", "execution"];

    /// <summary>Canonical host -> its spellings: case, trailing dot, IDN vs punycode, IPv6 forms.</summary>
    public static readonly ImmutableArray<HostSpelling> Hosts =
    [
        new("api.github.com", ["api.github.com", "API.GitHub.com", "api.github.com."]),
        new("registry.npmjs.org", ["registry.npmjs.org", "Registry.NPMJS.org."]),
        new("proxy.golang.org", ["proxy.golang.org", "PROXY.golang.org"]),
        new("xn--bcher-kva.example", ["xn--bcher-kva.example", "bücher.example", "BÜCHER.example.", "XN--BCHER-KVA.example"]),
        new("xn--r8jz45g.xn--zckzah", ["xn--r8jz45g.xn--zckzah", "例え.テスト", "例え.テスト."]),
        new("192.0.2.10", ["192.0.2.10"]),
        new("2001:db8::1", ["2001:db8::1", "2001:0DB8:0:0:0:0:0:1", "2001:db8:0::1"], IsIPv6: true),
    ];

    public static readonly string BaseImage = "ghcr.io/buildkite/cleanroom-base/alpine";

    /// <summary>The rules of a stage as the compiled policy should have them.</summary>
    public ImmutableSortedSet<(string Host, int Port)> Effective(int stage) => AllStages ? Stages[0] : Stages[stage];

    /// <summary>Secret bindings: id to the destinations it may go to (each allowed by some stage, host names only).</summary>
    public ImmutableSortedDictionary<string, ImmutableSortedSet<(string Host, int Port)>> Secrets { get; init; } =
        ImmutableSortedDictionary<string, ImmutableSortedSet<(string Host, int Port)>>.Empty.WithComparers(StringComparer.Ordinal);

    public static readonly string[] SecretIds = ["api_token", "deploy", "npm_token"];

    /// <summary>The destinations a secret may be bound to: allowed in some stage, and a host name (not an IP literal).</summary>
    public ImmutableSortedSet<(string Host, int Port)> SecretDestinations() =>
        Enumerable.Range(0, 4).SelectMany(Effective)
            .Where(p => !System.Net.IPAddress.TryParse(p.Host, out _))
            .ToImmutableSortedSet();

    /// <summary>The same model with each binding cut to destinations still allowed, bindings left with none dropped.</summary>
    public PolicyModel WithValidSecrets()
    {
        var allowed = SecretDestinations();
        return this with
        {
            Secrets = Secrets.Select(s => (s.Key, Hosts: s.Value.Intersect(allowed))).Where(s => s.Hosts.Count > 0)
                .ToImmutableSortedDictionary(s => s.Key, s => s.Hosts, StringComparer.Ordinal),
        };
    }
}
