using System.Security.Cryptography;
using Cleanroom.Server.Gateway.Registries;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Cleanroom.Server.Tests.Gateway.Registries;

/// <summary>The package cache on a real directory: verification, crash safety, one fill per entry, least-recently-used eviction.</summary>
public sealed class RegistryCacheTests : IDisposable
{
    private static readonly RegistryScope Scope = new("npm", "npm.test", 8080);
    private readonly string _root = Directory.CreateTempSubdirectory("cleanroom-registry-cache-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 19, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private RegistryCache Open(long maxBytes = 1L << 30) => new(_root, maxBytes, _clock, NullLogger.Instance);

    private static ContentDigest DigestOf(byte[] bytes) => new("sha512", SHA512.HashData(bytes));

    private static Func<CancellationToken, Task<Stream>> Serving(byte[] bytes) => _ => Task.FromResult<Stream>(new MemoryStream(bytes));

    private IEnumerable<string> Entries() =>
        Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_root, f)).Order(StringComparer.Ordinal);

    [Fact]
    public async Task A_file_whose_bytes_match_its_digest_is_stored_under_it_and_found_again()
    {
        var cache = Open();
        var bytes = RandomNumberGenerator.GetBytes(100_000);

        var path = await cache.FileAsync(Scope, DigestOf(bytes), Serving(bytes), CancellationToken.None);

        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
        Assert.Equal(Path.Combine("npm", "npm.test_8080", "files", DigestOf(bytes).EntryName), Path.GetRelativePath(_root, path));
        Assert.Equal(path, cache.FindFile(Scope, DigestOf(bytes)));
        Assert.Null(cache.FindFile(Scope with { Port = 443 }, DigestOf(bytes))); // another host's scope does not see it
    }

    [Fact]
    public async Task Bytes_that_do_not_match_the_digest_are_refused_and_nothing_is_kept()
    {
        var cache = Open();
        var expected = RandomNumberGenerator.GetBytes(4096);
        var tampered = (byte[])expected.Clone();
        tampered[100] ^= 1;

        await Assert.ThrowsAsync<RegistryIntegrityException>(() => cache.FileAsync(Scope, DigestOf(expected), Serving(tampered), CancellationToken.None));

        Assert.Null(cache.FindFile(Scope, DigestOf(expected)));
        Assert.Empty(Entries());
    }

    [Fact]
    public async Task An_upstream_that_fails_mid_transfer_leaves_no_entry_and_the_next_fill_succeeds()
    {
        var cache = Open();
        var bytes = RandomNumberGenerator.GetBytes(300_000);

        await Assert.ThrowsAsync<IOException>(() => cache.FileAsync(Scope, DigestOf(bytes), _ => Task.FromResult<Stream>(new FailingStream(bytes, 150_000)), CancellationToken.None));
        Assert.Empty(Entries());

        var path = await cache.FileAsync(Scope, DigestOf(bytes), Serving(bytes), CancellationToken.None);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public void A_partial_write_left_by_a_crash_is_never_an_entry_and_is_removed_when_the_cache_opens()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);
        Directory.CreateDirectory(Path.Combine(_root, "tmp"));
        File.WriteAllBytes(Path.Combine(_root, "tmp", "0123abcd"), bytes[..500]); // what a server killed mid-fill leaves

        var cache = Open();

        Assert.Null(cache.FindFile(Scope, DigestOf(bytes)));
        Assert.Empty(Entries());
    }

    [Fact]
    public async Task Concurrent_requests_for_the_same_missing_file_share_one_fill_and_get_the_same_verified_bytes()
    {
        var cache = Open();
        var bytes = RandomNumberGenerator.GetBytes(200_000);
        var opened = 0;
        var release = new TaskCompletionSource();
        async Task<Stream> Slow(CancellationToken token)
        {
            Interlocked.Increment(ref opened);
            await release.Task.WaitAsync(token);
            return new MemoryStream(bytes);
        }

        // Each call joins the fill table before it first awaits, so all eight are in before the fill may finish.
        var fills = Enumerable.Range(0, 8).Select(_ => cache.FileAsync(Scope, DigestOf(bytes), Slow, CancellationToken.None)).ToList();
        release.SetResult();
        var paths = await Task.WhenAll(fills);

        Assert.Equal(1, opened);
        Assert.Single(paths.Distinct());
        Assert.Equal(bytes, await File.ReadAllBytesAsync(paths[0]));
    }

    [Fact]
    public async Task Beyond_the_bound_the_least_recently_used_entries_go_first()
    {
        var cache = Open(maxBytes: 3000);
        var files = Enumerable.Range(0, 3).Select(_ => RandomNumberGenerator.GetBytes(1000)).ToArray();
        foreach (var file in files)
        {
            await cache.FileAsync(Scope, DigestOf(file), Serving(file), CancellationToken.None);
            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.NotNull(cache.FindFile(Scope, DigestOf(files[0]))); // used again: now the most recent
        _clock.Advance(TimeSpan.FromMinutes(1));
        var fourth = RandomNumberGenerator.GetBytes(1000);
        await cache.FileAsync(Scope, DigestOf(fourth), Serving(fourth), CancellationToken.None);

        Assert.NotNull(cache.FindFile(Scope, DigestOf(files[0])));
        Assert.Null(cache.FindFile(Scope, DigestOf(files[1]))); // the least recently used went
        Assert.NotNull(cache.FindFile(Scope, DigestOf(files[2])));
        Assert.NotNull(cache.FindFile(Scope, DigestOf(fourth)));
    }

    [Fact]
    public async Task Metadata_keeps_its_fetch_time_and_a_new_fetch_replaces_it()
    {
        var cache = Open();
        await cache.StoreMetadataAsync(Scope, "left-pad", "{\"v\":1}"u8.ToArray(), CancellationToken.None);
        var fetched = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(10));

        var first = cache.FindMetadata(Scope, "left-pad")!;
        Assert.Equal(fetched, first.FetchedAt);
        await cache.StoreMetadataAsync(Scope, "left-pad", "{\"v\":2}"u8.ToArray(), CancellationToken.None);

        var second = cache.FindMetadata(Scope, "left-pad")!;
        Assert.Equal("{\"v\":2}", System.Text.Encoding.UTF8.GetString(second.Document));
        Assert.Equal(_clock.GetUtcNow(), second.FetchedAt);
        Assert.Null(cache.FindMetadata(Scope, "right-pad"));
    }

    [Fact]
    public async Task A_pinned_file_is_stored_under_the_sha256_of_its_first_bytes_and_a_refill_must_match_them()
    {
        var cache = Open();
        var go = new RegistryScope("go", "proxy.test", 8080);
        const string Key = "demo.test/hello/@v/v1.0.0.zip";
        var bytes = RandomNumberGenerator.GetBytes(50_000);
        var other = RandomNumberGenerator.GetBytes(50_000);

        var path = await cache.PinnedFileAsync(go, Key, Serving(bytes), CancellationToken.None);

        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
        Assert.Equal($"sha256-{Convert.ToHexStringLower(SHA256.HashData(bytes))}", Path.GetFileName(path));
        Assert.Equal(path, cache.FindPinnedFile(go, Key));
        Assert.Equal(path, await cache.PinnedFileAsync(go, Key, Serving(other), CancellationToken.None)); // a hit: the upstream is not asked

        File.Delete(path); // evicted
        await Assert.ThrowsAsync<RegistryIntegrityException>(() => cache.PinnedFileAsync(go, Key, Serving(other), CancellationToken.None));
        Assert.Null(cache.FindPinnedFile(go, Key));
        Assert.DoesNotContain(Entries(), e => e.Contains(Convert.ToHexStringLower(SHA256.HashData(other)), StringComparison.Ordinal));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(await cache.PinnedFileAsync(go, Key, Serving(bytes), CancellationToken.None)));
    }

    [Fact]
    public async Task Scopes_are_listed_per_registry_host_and_removed_whole()
    {
        var cache = Open();
        var bytes = RandomNumberGenerator.GetBytes(10);
        await cache.FileAsync(Scope, DigestOf(bytes), Serving(bytes), CancellationToken.None);
        await cache.StoreMetadataAsync(new RegistryScope("pypi", "pypi.test", 8080), "simple/demo/", "<html/>"u8.ToArray(), CancellationToken.None);

        Assert.Equal(["npm/npm.test_8080", "pypi/pypi.test_8080"], cache.Scopes().Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.True(cache.RemoveScope(cache.Scopes().First(s => s.Name.StartsWith("npm/", StringComparison.Ordinal)).Path));
        Assert.False(cache.RemoveScope(Path.Combine(_root, "tmp"))); // only scopes, never anything else
        Assert.Equal(["pypi/pypi.test_8080"], cache.Scopes().Select(s => s.Name));
        Assert.Null(cache.FindFile(Scope, DigestOf(bytes)));
    }

    /// <summary>Serves the first <c>failAt</c> bytes, then fails as a dropped connection does.</summary>
    private sealed class FailingStream(byte[] bytes, int failAt) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position >= failAt ? throw new IOException("connection reset") : base.ReadAsync(buffer[..Math.Min(buffer.Length, failAt - (int)Position)], cancellationToken);
    }
}
