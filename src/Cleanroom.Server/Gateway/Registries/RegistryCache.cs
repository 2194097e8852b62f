using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Gateway.Registries;

/// <summary>
/// The host's package cache behind the gateway's registry routes, shared by every sandbox:
/// <c>ROOT/KIND/HOST_PORT/files/ALGO-HEX</c> holds immutable package files by the digest their registry's metadata names
/// (verified before they are stored), <c>ROOT/KIND/HOST_PORT/meta/SHA256(PATH)</c> the registry's metadata documents as
/// the upstream sent them (modification time = when fetched). A scope (<see cref="RegistryScope"/>) is one upstream
/// host and port, so content is served only to a sandbox whose policy allows the host it came from.
/// <list type="bullet">
/// <item>Crash-safe: every entry is written to <c>ROOT/tmp/</c> and renamed into place once complete (and verified), so
/// an entry's path never shows a partial file; <c>tmp/</c> is emptied when the cache opens.</item>
/// <item>One fill per entry at a time (<see cref="SingleFlight{T}"/>): concurrent requests for the same missing file
/// wait for the one fill and read its result.</item>
/// <item>Bounded: after each store, the least recently used entries (last-access time, set on every hit) go until the
/// rest fit in <c>max_bytes</c>. A file being served stays readable after its removal (its handle is open).</item>
/// </list>
/// </summary>
internal sealed class RegistryCache
{
    private readonly long _maxBytes;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly SingleFlight<string> _fills = new();
    private readonly Lock _evicting = new();

    public RegistryCache(string root, long maxBytes, TimeProvider clock, ILogger logger)
    {
        Root = root;
        _maxBytes = maxBytes;
        _clock = clock;
        _logger = logger;
        // Fills a crash interrupted: never renamed into place, so never served.
        if (Directory.Exists(TempRoot))
            Directory.Delete(TempRoot, recursive: true);
        Directory.CreateDirectory(TempRoot);
    }

    public string Root { get; }

    public long MaxBytes => _maxBytes;

    private string TempRoot => Path.Combine(Root, "tmp");

    /// <summary>The cached file for <paramref name="digest"/> in the scope, its last use set to now; null on a miss.</summary>
    public string? FindFile(RegistryScope scope, ContentDigest digest) => Touch(FilePath(scope, digest));

    /// <summary>
    /// The file for <paramref name="digest"/>, filled from <paramref name="open"/> on a miss: streamed to a temporary
    /// file while hashed, renamed into place only when the digest matches (else <see cref="RegistryIntegrityException"/>
    /// and nothing kept). Concurrent calls for the same entry share one fill.
    /// </summary>
    public async Task<string> FileAsync(RegistryScope scope, ContentDigest digest, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        var path = FilePath(scope, digest);
        if (Touch(path) is { } hit)
            return hit;
        return await _fills.RunAsync(path, async () =>
        {
            if (Touch(path) is { } filled)
                return filled;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            await using var upstream = await open(timeout.Token).ConfigureAwait(false);
            await StoreAsync(_ => path, upstream, digest, timeout.Token).ConfigureAwait(false);
            return path;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The cached file pinned at <paramref name="key"/> (see <see cref="PinnedFileAsync"/>), its last use set to now; null on a miss.</summary>
    public string? FindPinnedFile(RegistryScope scope, string key) => Pin(scope, key) is { } digest ? FindFile(scope, digest) : null;

    /// <summary>
    /// An immutable file that no metadata names a digest for (a Go module's zip or go.mod): the first fill stores the bytes
    /// under their sha256 and pins <paramref name="key"/> to that digest (a metadata entry <c>pin KEY</c>); a later fill
    /// (the file evicted) must produce the same bytes, else <see cref="RegistryIntegrityException"/> and nothing kept.
    /// Trust on first use: the pin proves the content never changes under the gateway, not that the first bytes were genuine.
    /// </summary>
    public async Task<string> PinnedFileAsync(RegistryScope scope, string key, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        if (FindPinnedFile(scope, key) is { } hit)
            return hit;
        return await _fills.RunAsync(MetadataPath(scope, PinKey(key)), async () =>
        {
            if (Pin(scope, key) is { } pinned)
                return await FileAsync(scope, pinned, open, CancellationToken.None).ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            await using var upstream = await open(timeout.Token).ConfigureAwait(false);
            var stored = "";
            var digest = await StoreAsync(d => stored = FilePath(scope, d!), upstream, null, timeout.Token, measure: true).ConfigureAwait(false);
            await StoreMetadataAsync(scope, PinKey(key), Encoding.UTF8.GetBytes(digest!.EntryName), timeout.Token).ConfigureAwait(false);
            return stored;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static string PinKey(string key) => "pin " + key;

    private ContentDigest? Pin(RegistryScope scope, string key)
    {
        if (FindMetadata(scope, PinKey(key)) is not { } pin)
            return null;
        var text = Encoding.UTF8.GetString(pin.Document);
        return text.StartsWith("sha256-", StringComparison.Ordinal) ? ContentDigest.FromHex("sha256", text["sha256-".Length..]) : null;
    }

    /// <summary>The cached metadata at <paramref name="key"/> and when it was fetched; null when none.</summary>
    public CachedMetadata? FindMetadata(RegistryScope scope, string key)
    {
        var path = MetadataPath(scope, key);
        if (Touch(path) is null)
            return null;
        try
        {
            return new CachedMetadata(File.ReadAllBytes(path), new DateTimeOffset(File.GetLastWriteTimeUtc(path)));
        }
        catch (FileNotFoundException)
        {
            return null; // evicted between the two
        }
    }

    /// <summary>Stores metadata just fetched (replacing what was there), stamped with the fetch time.</summary>
    public async Task StoreMetadataAsync(RegistryScope scope, string key, byte[] document, CancellationToken cancellationToken)
    {
        using var source = new MemoryStream(document, writable: false);
        await StoreAsync(_ => MetadataPath(scope, key), source, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fills of metadata share the same one-at-a-time table as files (keyed by entry path).</summary>
    public Task<string> MetadataFillAsync(RegistryScope scope, string key, Func<Task<string>> fill, CancellationToken cancellationToken) =>
        _fills.RunAsync(MetadataPath(scope, key), fill, cancellationToken);

    /// <summary>Every registry scope on disk (<c>KIND/HOST_PORT</c> directories), for <c>system df</c>.</summary>
    public IEnumerable<(string Name, string Path)> Scopes()
    {
        foreach (var kind in Directory.Exists(Root) ? Directory.EnumerateDirectories(Root) : [])
        {
            if (Path.GetFileName(kind) == "tmp")
                continue;
            foreach (var scope in Directory.EnumerateDirectories(kind).Order(StringComparer.Ordinal))
                yield return ($"{Path.GetFileName(kind)}/{Path.GetFileName(scope)}", scope);
        }
    }

    /// <summary>
    /// Removes one scope's entries (<c>system prune</c>): renamed out of the tree first, so a request either finds the
    /// whole scope or none of it, then deleted.
    /// </summary>
    public bool RemoveScope(string scopePath)
    {
        var full = Path.GetFullPath(scopePath);
        if (!Scopes().Any(s => Path.GetFullPath(s.Path) == full))
            return false;
        var doomed = Path.Combine(TempRoot, "removed-" + Guid.NewGuid().ToString("N"));
        Directory.Move(full, doomed);
        Directory.Delete(doomed, recursive: true);
        return true;
    }

    private string FilePath(RegistryScope scope, ContentDigest digest) => Path.Combine(Root, scope.Directory, "files", digest.EntryName);

    private string MetadataPath(RegistryScope scope, string key) =>
        Path.Combine(Root, scope.Directory, "meta", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))));

    private string? Touch(string path)
    {
        try
        {
            File.SetLastAccessTimeUtc(path, _clock.GetUtcNow().UtcDateTime);
            return path;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Streams <paramref name="source"/> into a temporary file, checks it against <paramref name="digest"/> (or, with
    /// <paramref name="measure"/>, takes its sha256), then moves it to the path <paramref name="place"/> gives for the digest.
    /// </summary>
    /// <returns>The content's digest (the one expected, or the one measured); null for metadata.</returns>
    private async Task<ContentDigest?> StoreAsync(Func<ContentDigest?, string> place, Stream source, ContentDigest? digest, CancellationToken cancellationToken,
        bool measure = false)
    {
        // Made again each time: an operator may have removed the whole cache directory under the running server.
        Directory.CreateDirectory(TempRoot);
        var temp = Path.Combine(TempRoot, Guid.NewGuid().ToString("N"));
        try
        {
            long length;
            var content = digest;
            using (var hash = digest?.NewHash() ?? (measure ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null))
            {
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                {
                    var buffer = new byte[1 << 16];
                    int read;
                    while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        hash?.AppendData(buffer, 0, read);
                        await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }

                    // Durable before it becomes visible: a crash after the rename must not leave an empty entry.
                    file.Flush(flushToDisk: true);
                    length = file.Length;
                }

                if (digest is not null && !digest.Matches(hash!.GetHashAndReset()))
                    throw new RegistryIntegrityException($"the upstream's bytes do not match {digest.Algorithm} {Convert.ToHexStringLower(digest.Value)[..16]}… that was expected");
                if (digest is null && hash is not null)
                    content = new ContentDigest("sha256", hash.GetHashAndReset());
            }

            var path = place(content);

            var now = _clock.GetUtcNow().UtcDateTime;
            File.SetLastWriteTimeUtc(temp, now);
            File.SetLastAccessTimeUtc(temp, now);
            MakeRoom(length);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Move(temp, path, overwrite: true);
            return content;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Least recently used entries out until <paramref name="incoming"/> more bytes fit in the bound.</summary>
    private void MakeRoom(long incoming)
    {
        lock (_evicting)
        {
            var entries = Entries().ToList();
            var total = entries.Sum(e => e.Length) + incoming;
            foreach (var entry in CacheEviction.Choose(entries, total, _maxBytes))
            {
                try
                {
                    File.Delete(entry.Path);
                    _logger.LogInformation("registry cache: evicted {Entry} ({Bytes} bytes, last used {LastUsed:O})", Path.GetRelativePath(Root, entry.Path), entry.Length, entry.LastUsed);
                }
                catch (IOException e)
                {
                    _logger.LogWarning("registry cache: cannot evict {Entry}: {Error}", entry.Path, e.Message);
                }
            }
        }
    }

    private IEnumerable<CacheEntry> Entries()
    {
        foreach (var (_, scope) in Scopes())
        {
            foreach (var file in new DirectoryInfo(scope).EnumerateFiles("*", SearchOption.AllDirectories))
                yield return new CacheEntry(file.FullName, file.Length, new DateTimeOffset(file.LastAccessTimeUtc));
        }
    }
}

/// <summary>One upstream host and port of one registry protocol: the unit the cache keeps apart.</summary>
internal sealed record RegistryScope(string Kind, string Host, int Port)
{
    public string Directory => System.IO.Path.Combine(Kind, $"{Host}_{Port}");
}

/// <summary>A metadata document from the cache and when the upstream sent it.</summary>
internal sealed record CachedMetadata(byte[] Document, DateTimeOffset FetchedAt);
