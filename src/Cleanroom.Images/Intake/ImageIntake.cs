using System.Collections.Concurrent;
using Cleanroom.Errors;
using Cleanroom.Images.Rootfs;
using Cleanroom.Images.Storage;

namespace Cleanroom.Images;

/// <summary>
/// Takes an image's blobs from outside the store (a registry pull) and records a reference to it, with the
/// same guarantees as an import: every blob is verified against its digest before it gets its name, blobs are
/// renamed into place and the reference recorded under the store lock (so garbage collection never sees them
/// half recorded), and a failed pull leaves no blob under a digest name. Blobs wait in <c>tmp/</c> until
/// <see cref="CommitAsync"/>; incomplete downloads stay there to be resumed by a later pull. Get one from
/// <see cref="ImageStore.BeginIntake"/>; use it for one image.
/// </summary>
public sealed class ImageIntake : IDisposable
{
    private readonly BlobStore blobs;
    private readonly ReferenceTable references;
    private readonly StoreLock storeLock;
    private readonly RootfsCache rootfs;
    private readonly TimeProvider clock;
    private readonly ConcurrentDictionary<Digest, string> verified = new();
    private readonly ConcurrentBag<string> documents = [];

    internal ImageIntake(BlobStore blobs, ReferenceTable references, StoreLock storeLock, RootfsCache rootfs, TimeProvider clock)
    {
        this.blobs = blobs;
        this.references = references;
        this.storeLock = storeLock;
        this.rootfs = rootfs;
        this.clock = clock;
    }

    /// <summary>Whether the blob is in the store already, or arrived in this intake: no need to download it.</summary>
    public bool Holds(Digest digest) => verified.ContainsKey(digest) || blobs.Contains(digest);

    /// <summary>Opens (resuming, when an earlier attempt left part of it) the download of one blob.</summary>
    public Task<IncomingBlob> OpenBlobAsync(Digest digest, long size, CancellationToken cancellationToken = default) =>
        IncomingBlob.OpenAsync(blobs.TemporaryDirectory, digest, size, (d, path) => verified[d] = path, cancellationToken);

    /// <summary>Opens a blob that arrived verified in this intake, or that the store holds, to be read front to back.</summary>
    public Stream OpenArrived(Digest digest)
    {
        if (verified.TryGetValue(digest, out var path))
        {
            return new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 1 << 20 });
        }

        return blobs.OpenSequentialRead(digest);
    }

    /// <summary>
    /// Unpacks the image's tree (as <see cref="ImageStore.MaterialiseAsync"/> would) while its layers are still
    /// arriving: <paramref name="open"/> gives each layer's bytes, e.g. <see cref="IncomingBlob.Follow"/> of its
    /// download. The same safety rules apply; the tree is built privately and put in place only once every layer
    /// was applied and its digest and diff_id matched. Returns the tree's path.
    /// </summary>
    public Task<string> UnpackWhileArrivingAsync(
        Digest manifestDigest, IReadOnlyList<ImageLayer> layers, Func<ImageLayer, CancellationToken, Task<Stream>> open, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(open);
        return rootfs.MaterialiseArrivingAsync(manifestDigest, layers, open, cancellationToken);
    }

    /// <summary>Adds a small document (manifest, index, config) fetched whole; digest_mismatch when its bytes are not <paramref name="digest"/>.</summary>
    public async Task AddDocumentAsync(Digest digest, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var staged = await blobs.StageAsync(content, cancellationToken).ConfigureAwait(false);
        if (staged.Digest != digest)
        {
            staged.Dispose();
            throw new CleanroomException(ErrorCode.DigestMismatch, $"document {digest} arrived with content that hashes to {staged.Digest}");
        }

        documents.Add(staged.TemporaryPath);
        verified[digest] = staged.TemporaryPath;
    }

    /// <summary>
    /// Renames the arrived blobs into place and records <paramref name="reference"/> (its tag, or its digest when
    /// it has no tag) for the manifest or index <paramref name="top"/>. Fails with not_found, recording nothing,
    /// when a blob the image needs is in neither the store nor this intake (for instance one garbage-collected
    /// since <see cref="Holds"/> said it was there); the caller may fetch it and commit again.
    /// </summary>
    /// <returns>The stored image, its reference pinned to <paramref name="top"/>, for <paramref name="platform"/> when top is an index.</returns>
    public async Task<StoredImage> CommitAsync(
        ImageReference reference, Digest top, ImagePlatform? platform, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var pinned = reference.PinnedTo(top);
        using (await storeLock.AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var (digest, path) in verified)
            {
                try
                {
                    blobs.Commit(new StagedBlob(path, digest, 0));
                }
                catch (FileNotFoundException) when (blobs.Contains(digest))
                {
                    // Another pull of the same blob renamed its copy first; the bytes are the same.
                }
            }

            verified.Clear();
            var image = ImageDocuments.Read(blobs, top, pinned, platform);
            if (image.Layers.FirstOrDefault(layer => !blobs.Contains(layer.Digest)) is { } missing)
            {
                throw new CleanroomException(ErrorCode.NotFound, $"layer {missing.Digest} of image {top} is not in the image store");
            }

            var entries = references.Load().Where(entry => entry.Key != pinned.TableKey).ToList();
            entries.Add(new ReferenceEntry(pinned.TableKey, top, ImageDocuments.MediaTypeOf(blobs, top),
                new FileInfo(blobs.PathOf(top)).Length, clock.GetUtcNow()));
            references.Save(entries);
            return image;
        }
    }

    /// <summary>Deletes the documents staged by an intake that was not committed (downloads stay to be resumed).</summary>
    public void Dispose()
    {
        foreach (var path in documents)
        {
            File.Delete(path);
        }
    }
}
