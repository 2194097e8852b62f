using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Cleanroom.Policy;

namespace Cleanroom.Network;

/// <summary>
/// One stage's allow list as enforcement reads it: DNS names (answered by the policy resolver, opened
/// on answer) and IPv4 literals (opened for good while the stage is active). IPv6 literals can never be
/// reached, since IPv6 is off inside every sandbox. Immutable: a stage switch swaps the whole object.
/// </summary>
internal sealed class ActiveRules
{
    private readonly ImmutableDictionary<string, ImmutableArray<int>> _portsByName;

    private ActiveRules(string stage, bool allowAll, ImmutableDictionary<string, ImmutableArray<int>> portsByName, ImmutableHashSet<AllowedPair> literalPairs)
    {
        Stage = stage;
        AllowAll = allowAll;
        _portsByName = portsByName;
        LiteralPairs = literalPairs;
    }

    public string Stage { get; }

    /// <summary><c>--dangerously-allow-all</c>: every name is resolved, every destination outside the pool is open.</summary>
    public bool AllowAll { get; }

    public ImmutableHashSet<AllowedPair> LiteralPairs { get; }

    public static ActiveRules From(string stage, IEnumerable<EgressRule> rules, bool allowAll)
    {
        var names = ImmutableDictionary.CreateBuilder<string, ImmutableArray<int>>(StringComparer.Ordinal);
        var literals = ImmutableHashSet.CreateBuilder<AllowedPair>();
        foreach (var rule in rules)
        {
            if (IPAddress.TryParse(rule.Host, out var ip))
            {
                if (ip.AddressFamily == AddressFamily.InterNetwork)
                    foreach (var port in rule.Ports)
                        literals.Add(new AllowedPair(ip, port));
            }
            else
                names[Normalize(rule.Host)] = rule.Ports;
        }
        return new ActiveRules(stage, allowAll, names.ToImmutable(), literals.ToImmutable());
    }

    /// <summary>The ports a name is allowed on, or null when the stage does not allow it (always empty under allow-all).</summary>
    public ImmutableArray<int>? PortsFor(string name)
    {
        if (_portsByName.TryGetValue(Normalize(name), out var ports))
            return ports;
        return AllowAll ? ImmutableArray<int>.Empty : null;
    }

    /// <summary>Lowercase without the root dot: how the policy compiler writes names.</summary>
    public static string Normalize(string name) => name.TrimEnd('.').ToLowerInvariant();
}
