using System.Collections.Immutable;

namespace Cleanroom.Policy;

/// <summary>
/// One allowed destination: an exact host (normalised DNS name or IP literal) and the ports open on it.
/// In a compiled policy each host appears once, its ports ascending and distinct.
/// </summary>
public sealed record EgressRule(string Host, ImmutableArray<int> Ports)
{
    /// <summary>
    /// Merges host/port pairs into one rule per host, ordered by host (ordinal) with sorted distinct ports:
    /// the single shape that makes equivalent policies compare and hash equal.
    /// </summary>
    internal static ImmutableArray<EgressRule> Merge(IEnumerable<(string Host, int Port)> pairs) =>
        pairs.GroupBy(p => p.Host, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new EgressRule(g.Key, g.Select(p => p.Port).Distinct().Order().ToImmutableArray()))
            .ToImmutableArray();
}
