namespace Cleanroom.Server.Gateway;

/// <summary>One mirror as the housekeeping sees it: its size, when it was last used, and whether a request holds it now.</summary>
internal sealed record MirrorUsage(string Path, long Bytes, DateTimeOffset LastUsed, bool InUse);

/// <summary>
/// Which mirrors the housekeeping removes (pure, so the choice is tested on its own): every mirror unused for longer
/// than the expiry, then the least recently used ones until the rest fit in the size bound. A mirror a request holds
/// (being filled or served) is never chosen, but still counts towards the total: the bound may be exceeded while it
/// is in use, and the next sweep catches up.
/// </summary>
internal static class MirrorEviction
{
    public static IReadOnlyList<string> Choose(IEnumerable<MirrorUsage> mirrors, long maxBytes, TimeSpan expireAfter, DateTimeOffset now)
    {
        var remaining = mirrors.OrderBy(m => m.LastUsed).ThenBy(m => m.Path, StringComparer.Ordinal).ToList();
        var chosen = remaining.Where(m => !m.InUse && now - m.LastUsed > expireAfter).ToList();
        remaining.RemoveAll(chosen.Contains);
        var total = remaining.Sum(m => m.Bytes);
        foreach (var mirror in remaining.Where(m => !m.InUse))
        {
            if (total <= maxBytes)
                break;
            chosen.Add(mirror);
            total -= mirror.Bytes;
        }

        return chosen.Select(m => m.Path).ToList();
    }
}
