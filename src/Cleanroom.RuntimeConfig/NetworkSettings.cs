using System.Collections.Immutable;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>network:</c> section: the address pool sandbox links come from, the upstream resolver the policy
/// resolver forwards to, and static names (for offline hosts and tests). Null means the enforcement's default.
/// </summary>
public sealed record NetworkSettings(string? Pool, string? DnsUpstream, ImmutableSortedDictionary<string, string> DnsHosts)
{
    public static NetworkSettings Defaults { get; } = new(null, null, ImmutableSortedDictionary<string, string>.Empty);

    /// <summary>
    /// The nftables table, the name prefix of namespaces and links, and the NFLOG group one server owns. Two
    /// servers on one host (a test next to a user's) must each have their own, or they would reset each other's rules.
    /// </summary>
    public string? Table { get; init; }

    public string? NamePrefix { get; init; }

    public int? NflogGroup { get; init; }
}
