using Cleanroom.Errors;
using Cleanroom.Images.Interop;

namespace Cleanroom.Images.Storage;

/// <summary>
/// The content-addressed blobs of the layout, <c>blobs/sha256/&lt;hex&gt;</c>. A blob is written to
/// <c>tmp/</c> (same filesystem), hashed while written, fsync'd, then renamed to its digest: a crash leaves at
/// most a stray temporary file, never a partial blob under a digest name.
/// </summary>
internal sealed class BlobStore
{
    // Manifests and configs are read whole into memory; anything bigger than this is not one.
    private const int MaxDocumentBytes = 4 * 1024 * 1024;
    private static readonly TimeSpan StaleTemporaryAge = TimeSpan.FromDays(1);

    public BlobStore(string layoutRoot)
    {
        BlobDirectory = Path.Combine(layoutRoot, "blobs", "sha256");
        TemporaryDirectory = Path.Combine(layoutRoot, "tmp");
        Directory.CreateDirectory(BlobDirectory);
        Directory.CreateDirectory(TemporaryDirectory);
        RemoveStaleTemporaryFiles();
    }

    public string BlobDirectory { get; }

    /// <summary>Where partial blobs and index.json replacements are written before their rename.</summary>
    public string TemporaryDirectory { get; }

    public string PathOf(Digest digest) => Path.Combine(BlobDirectory, digest.Hex);

    public bool Contains(Digest digest) => File.Exists(PathOf(digest));

    /// <summary>Writes whatever <paramref name="write"/> writes to a new staged blob.</summary>
    public async Task<StagedBlob> StageAsync(Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var temporaryPath = NewTemporaryPath();
        try
        {
            await using var file = new FileStream(temporaryPath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Options = FileOptions.Asynchronous,
                BufferSize = 1 << 16,
            });
            using var hashing = new HashingStream(file, leaveOpen: true);
            await write(hashing, cancellationToken).ConfigureAwait(false);
            await hashing.FlushAsync(cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
            return new StagedBlob(temporaryPath, hashing.Finish(), hashing.Length64);
        }
        catch
        {
            File.Delete(temporaryPath);
            throw;
        }
    }

    public Task<StagedBlob> StageAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        StageAsync((stream, ct) => stream.WriteAsync(content, ct).AsTask(), cancellationToken);

    /// <summary>Renames a staged blob to its digest. The same digest is the same bytes, so replacing is harmless.</summary>
    public void Commit(StagedBlob blob)
    {
        File.Move(blob.TemporaryPath, PathOf(blob.Digest), overwrite: true);
        blob.MarkCommitted();
        FileSystemCalls.FSyncDirectory(BlobDirectory);
    }

    public Stream OpenRead(Digest digest)
    {
        try
        {
            return new FileStream(PathOf(digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        }
        catch (FileNotFoundException e)
        {
            throw new CleanroomException(ErrorCode.NotFound, $"blob {digest} is not in the image store", e);
        }
    }

    /// <summary>Opens a blob to be read once, front to back, in large reads (a layer being unpacked).</summary>
    public Stream OpenSequentialRead(Digest digest)
    {
        try
        {
            return new FileStream(PathOf(digest), new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read,
                BufferSize = 1 << 20,
                Options = FileOptions.SequentialScan,
            });
        }
        catch (FileNotFoundException e)
        {
            throw new CleanroomException(ErrorCode.NotFound, $"blob {digest} is not in the image store", e);
        }
    }

    /// <summary>Reads a small JSON document and checks that its bytes still hash to its name.</summary>
    public byte[] ReadDocument(Digest digest, string what)
    {
        var path = PathOf(digest);
        if (!File.Exists(path))
        {
            throw new CleanroomException(ErrorCode.NotFound, $"{what} {digest} is not in the image store");
        }

        if (new FileInfo(path).Length > MaxDocumentBytes)
        {
            throw new CleanroomException(ErrorCode.ImageInvalid, $"{what} {digest} is larger than {MaxDocumentBytes} bytes");
        }

        var bytes = File.ReadAllBytes(path);
        var actual = Digest.FromHash(System.Security.Cryptography.SHA256.HashData(bytes));
        return actual == digest
            ? bytes
            : throw new CleanroomException(ErrorCode.ImageInvalid, $"{what} {digest} is damaged: its content hashes to {actual}");
    }

    public IEnumerable<Digest> Enumerate()
    {
        foreach (var path in Directory.EnumerateFiles(BlobDirectory))
        {
            if (Digest.TryParse("sha256:" + Path.GetFileName(path), out var digest, out _))
            {
                yield return digest;
            }
        }
    }

    public void Delete(Digest digest) => File.Delete(PathOf(digest));

    public string NewTemporaryPath() => Path.Combine(TemporaryDirectory, $"{Guid.NewGuid():N}.partial");

    // A crash mid-write leaves a temporary file; one this old belongs to no import still running.
    private void RemoveStaleTemporaryFiles()
    {
        var cutoff = DateTime.UtcNow - StaleTemporaryAge;
        foreach (var file in new DirectoryInfo(TemporaryDirectory).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc < cutoff)
            {
                file.Delete();
            }
        }
    }
}
