using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Cleanroom.ControlPlane.Setup;

/// <summary>
/// The host's store of setup blocks' outputs. Archives are content-addressed (<c>objects/SHA256.tar</c>); each
/// repository has its own index (<c>repositories/SCOPE/KEY</c> holding the object's hash), so one repository's
/// outputs are never restored into another's sandbox even when their keys agree. Everything is written to a temporary
/// file and renamed into place: a crash mid-write leaves no entry that is later served. Bounded by
/// <see cref="MaxBytes"/>: after each publish the least recently used archives go until the rest fit.
/// </summary>
public sealed class BlockCache(string root, long maxBytes, ILogger logger)
{
    public long MaxBytes => maxBytes;

    /// <summary>The index scope of a repository (its host checkout path or URL): a hash, so any name is a safe directory.</summary>
    public static string ScopeOf(string repository) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(repository)))[..32];

    /// <summary>The archive stored for <paramref name="key"/> in <paramref name="scope"/>, marked used; null when there is none.</summary>
    public string? Find(string scope, string key)
    {
        var index = IndexPath(scope, key);
        if (!File.Exists(index))
            return null;
        var digest = File.ReadAllText(index).Trim();
        if (digest.Length != 64 || !digest.All(char.IsAsciiHexDigitLower))
            return null;
        var objectPath = ObjectPath(digest);
        if (!File.Exists(objectPath))
            return null;
        File.SetLastWriteTimeUtc(objectPath, DateTime.UtcNow);
        return objectPath;
    }

    /// <summary>Stores <paramref name="archive"/> as the outputs of <paramref name="key"/>; returns its size.</summary>
    public async Task<long> PublishAsync(string scope, string key, Stream archive, CancellationToken cancellationToken)
    {
        var temporary = Directory.CreateDirectory(Path.Combine(root, "tmp")).FullName;
        var partial = Path.Combine(temporary, Guid.NewGuid().ToString("N"));
        try
        {
            string digest;
            long size;
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await archive.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
                digest = Convert.ToHexStringLower(hash.GetHashAndReset());
                size = file.Length;
            }

            Directory.CreateDirectory(Path.Combine(root, "objects"));
            File.Move(partial, ObjectPath(digest), overwrite: true);
            var index = IndexPath(scope, key);
            Directory.CreateDirectory(Path.GetDirectoryName(index)!);
            var indexPartial = Path.Combine(temporary, Guid.NewGuid().ToString("N"));
            await File.WriteAllTextAsync(indexPartial, digest, cancellationToken).ConfigureAwait(false);
            File.Move(indexPartial, index, overwrite: true);
            Evict();
            return size;
        }
        finally
        {
            File.Delete(partial);
        }
    }

    /// <summary>Total bytes of stored archives.</summary>
    public long Size() => Objects().Sum(o => o.Length);

    /// <summary>Every stored archive (for <c>system df</c> and <c>system prune</c>).</summary>
    public IReadOnlyList<FileInfo> Archives() => Objects().ToList();

    /// <summary>
    /// Removes one stored archive. Safe beside a restore or a publish: an index naming a missing archive is a miss,
    /// and a restore that opened the archive keeps reading it.
    /// </summary>
    public void Remove(FileInfo archive)
    {
        if (archive.DirectoryName != Path.Combine(root, "objects"))
            throw new ArgumentException($"{archive.FullName} is not an archive of this cache", nameof(archive));
        archive.Delete();
    }

    private void Evict()
    {
        var objects = Objects().OrderBy(o => o.LastWriteTimeUtc).ToList();
        var total = objects.Sum(o => o.Length);
        foreach (var stale in objects)
        {
            if (total <= maxBytes)
                break;
            // An index naming a removed object is a miss (Find checks), so indexes need not be swept here. Another
            // publish may be evicting at the same time: an object already gone is fine.
            var length = stale.Length;
            try
            {
                stale.Delete();
            }
            catch (IOException)
            {
                continue;
            }
            total -= length;
            logger.LogInformation("block cache: removed {Object} ({Bytes} bytes) to stay within {Max} bytes", stale.Name, length, maxBytes);
        }
    }

    private IEnumerable<FileInfo> Objects()
    {
        var directory = new DirectoryInfo(Path.Combine(root, "objects"));
        return directory.Exists ? directory.EnumerateFiles("*.tar") : [];
    }

    private string ObjectPath(string digest) => Path.Combine(root, "objects", digest + ".tar");

    private string IndexPath(string scope, string key) => Path.Combine(root, "repositories", scope, key.Replace(':', '-'));
}
