using Cleanroom.RuntimeConfig;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// Keeps the repository mirrors within <c>gateway.mirrors</c>: a request holds a lease on its mirror while it fills
/// or serves it (<see cref="Lease"/>); a sweep (after every fill, and when the gateway starts) measures every mirror
/// under the root, asks <see cref="MirrorEviction"/> which to remove, and removes them. Removal first renames the
/// mirror out of the tree under the same lock that leases take, so a request either holds the mirror before the
/// sweep looks (and it is kept) or finds it gone afterwards (and fills a new one); it never sees half a mirror.
/// A mirror's last use is its directory's modification time, set at every lease.
/// </summary>
internal sealed class MirrorHousekeeping(string root, MirrorSettings settings, TimeProvider clock, ILogger logger)
{
    private const string TrashPrefix = ".removing-";
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _leases = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _sweeping = new(1, 1);

    /// <summary>Holds <paramref name="mirror"/> against removal until disposed, and marks it used now.</summary>
    public IDisposable Lease(string mirror)
    {
        lock (_gate)
            _leases[mirror] = _leases.GetValueOrDefault(mirror) + 1;
        Touch(mirror);
        return new Held(this, mirror);
    }

    /// <summary>Marks a mirror used now (its directory's mtime), when it exists.</summary>
    public void Touch(string mirror)
    {
        try
        {
            if (Directory.Exists(mirror))
                Directory.SetLastWriteTimeUtc(mirror, clock.GetUtcNow().UtcDateTime);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogDebug("gateway: cannot mark mirror {Mirror} used: {Error}", mirror, e.Message);
        }
    }

    /// <summary>One sweep, unless one is running already. Never throws: a failed removal is logged and left for the next.</summary>
    public async Task SweepAsync()
    {
        if (!await _sweeping.WaitAsync(0))
            return;
        try
        {
            await Task.Yield();
            RemoveTrash();
            foreach (var path in MirrorEviction.Choose(Measure(), settings.MaxBytes, TimeSpan.FromDays(settings.ExpireAfterDays), clock.GetUtcNow()))
            {
                if (!TryRemove(path))
                    continue;
                logger.LogInformation("gateway: mirror {Mirror} removed (gateway.mirrors: at most {MaxBytes} bytes, unused at most {Days} days)",
                    Path.GetRelativePath(root, path), settings.MaxBytes, settings.ExpireAfterDays);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("gateway: mirror housekeeping failed: {Error}", e.Message);
        }
        finally
        {
            _sweeping.Release();
        }
    }

    /// <summary>Every mirror with its size, last use and whether a request holds it now.</summary>
    public IReadOnlyList<MirrorUsage> Measure()
    {
        if (!Directory.Exists(root))
            return [];
        return Find(root).Select(path =>
        {
            bool inUse;
            lock (_gate)
                inUse = _leases.ContainsKey(path);
            return new MirrorUsage(path, SizeOf(path), new DateTimeOffset(Directory.GetLastWriteTimeUtc(path), TimeSpan.Zero), inUse);
        }).ToList();
    }

    /// <summary>
    /// Removes a mirror unless a request holds it (then false). It is renamed out of the tree under the leases' lock
    /// first, so a request never sees half of it.
    /// </summary>
    public bool TryRemove(string path)
    {
        var trash = Path.Combine(root, TrashPrefix + Guid.NewGuid().ToString("n"));
        lock (_gate)
        {
            if (_leases.ContainsKey(path) || !Directory.Exists(path))
                return false;
            Directory.Move(path, trash);
        }

        Directory.Delete(trash, recursive: true);
        return true;
    }

    /// <summary>The bare repositories under <paramref name="directory"/> (a directory with <c>HEAD</c> and <c>objects/</c>), not looking inside them.</summary>
    internal static IEnumerable<string> Find(string directory)
    {
        foreach (var child in Directory.EnumerateDirectories(directory))
        {
            if (Path.GetFileName(child).StartsWith('.'))
                continue;
            if (File.Exists(Path.Combine(child, "HEAD")) && Directory.Exists(Path.Combine(child, "objects")))
                yield return child;
            else
                foreach (var inner in Find(child))
                    yield return inner;
        }
    }

    private static long SizeOf(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true })
            .Sum(f => f.Length);

    /// <summary>What an interrupted sweep left (renamed out, not yet deleted).</summary>
    private void RemoveTrash()
    {
        foreach (var trash in Directory.EnumerateDirectories(root, TrashPrefix + "*"))
            Directory.Delete(trash, recursive: true);
    }

    private void Release(string mirror)
    {
        lock (_gate)
        {
            if (_leases[mirror] == 1)
                _leases.Remove(mirror);
            else
                _leases[mirror]--;
        }
    }

    private sealed class Held(MirrorHousekeeping owner, string mirror) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                owner.Release(mirror);
        }
    }
}
