namespace Cleanroom.Server.Gateway.Registries;

/// <summary>One cache entry as eviction sees it.</summary>
internal sealed record CacheEntry(string Path, long Length, DateTimeOffset LastUsed);

/// <summary>Which entries go so that the rest fit in the bound: least recently used first. Pure.</summary>
internal static class CacheEviction
{
    /// <param name="total">The bytes of all entries plus what is about to be added.</param>
    public static IReadOnlyList<CacheEntry> Choose(IEnumerable<CacheEntry> entries, long total, long maxBytes)
    {
        var chosen = new List<CacheEntry>();
        foreach (var entry in entries.OrderBy(e => e.LastUsed).ThenBy(e => e.Path, StringComparer.Ordinal))
        {
            if (total <= maxBytes)
                break;
            chosen.Add(entry);
            total -= entry.Length;
        }

        return chosen;
    }
}
