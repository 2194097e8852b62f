using System.Collections.Concurrent;
using Cleanroom.Policy;

namespace Cleanroom.Backends;

/// <summary>
/// Compiled policies rebuilt from their canonical JSON, kept by that JSON: records read from the store again and
/// again (every API call reads one) share one parse per distinct policy. Bounded: past the limit it starts over.
/// </summary>
internal static class ParsedPolicies
{
    private const int Limit = 256;
    private static readonly ConcurrentDictionary<string, CompiledPolicy> Cache = new(StringComparer.Ordinal);

    public static CompiledPolicy Get(string canonicalJson)
    {
        if (Cache.TryGetValue(canonicalJson, out var known))
            return known;
        var parsed = CompiledPolicy.FromCanonicalJson(canonicalJson);
        if (Cache.Count >= Limit)
            Cache.Clear();
        Cache[canonicalJson] = parsed;
        return parsed;
    }
}
