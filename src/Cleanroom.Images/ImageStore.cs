using Cleanroom.Errors;
using Cleanroom.Images.Layers;
using Cleanroom.Images.Oci;
using Cleanroom.Images.Rootfs;
using Cleanroom.Images.Storage;

namespace Cleanroom.Images;

/// <summary>
/// The local image store: an OCI image layout of content-addressed blobs, a reference table in its
/// index.json, and a cache of unpacked trees. See README.md for the layout, the reference rules and the
/// unpacking safety rules. Safe to use from many threads and from several processes at once.
/// </summary>
public sealed class ImageStore
{
    private const string Architecture = "amd64";
    private const string Os = "linux";
    private readonly BlobStore blobs;
    private readonly ReferenceTable references;
    private readonly StoreLock storeLock;
    private readonly RootfsCache rootfs;
    private readonly TimeProvider clock;

    public ImageStore(ImageStoreOptions options, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var root = Path.GetFullPath(options.Root);
        Directory.CreateDirectory(root);
        blobs = new BlobStore(root);
        references = new ReferenceTable(root, blobs);
        storeLock = new StoreLock(root);
        rootfs = new RootfsCache(options.RootfsCacheRoot, blobs);
        this.clock = clock ?? TimeProvider.System;
    }

    /// <summary>
    /// Makes a one-layer image from a rootfs tarball (.tar or .tar.gz, told apart by its first bytes) and
    /// records <paramref name="reference"/> for it (<c>:latest</c> when it names neither tag nor digest). The
    /// tarball is refused up front, with nothing stored, when any entry breaks the unpacking safety rules.
    /// When the reference names a digest, the image built must have exactly that digest.
    /// </summary>
    /// <returns>The stored image; its <see cref="StoredImage.Reference"/> is pinned to the manifest digest.</returns>
    public async Task<StoredImage> ImportAsync(
        string reference, Stream rootfsTar, ImageConfig? config = null, CancellationToken cancellationToken = default)
    {
        var target = ImageReference.Parse(reference).WithDefaultTag();
        config ??= ImageConfig.Default;
        using var layer = await RootfsLayerBuilder.BuildAsync(rootfsTar, blobs, cancellationToken).ConfigureAwait(false);
        using var configBlob = await blobs.StageAsync(OciJson.Serialize(ConfigDocument(config, layer.DiffId), OciJsonContext.Default.OciImageConfig), cancellationToken).ConfigureAwait(false);
        var manifest = new OciManifest(2, OciMediaTypes.ImageManifest,
            new OciDescriptor(OciMediaTypes.ImageConfig, configBlob.Digest.ToString(), configBlob.Size),
            [new OciDescriptor(layer.MediaType, layer.Blob.Digest.ToString(), layer.Blob.Size)]);
        using var manifestBlob = await blobs.StageAsync(OciJson.Serialize(manifest, OciJsonContext.Default.OciManifest), cancellationToken).ConfigureAwait(false);
        if (target.Digest is { } expected && expected != manifestBlob.Digest)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"the tarball makes image {manifestBlob.Digest}, not {expected} as \"{reference}\" says; import it without the digest, or check the file");
        }

        using (await storeLock.AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            // Blobs before the reference: a crash in between leaves unreferenced blobs for GC, never a dangling name.
            blobs.Commit(layer.Blob);
            blobs.Commit(configBlob);
            blobs.Commit(manifestBlob);
            var entries = references.Load().Where(entry => entry.Key != target.TableKey).ToList();
            entries.Add(new ReferenceEntry(target.TableKey, manifestBlob.Digest, OciMediaTypes.ImageManifest, manifestBlob.Size, clock.GetUtcNow()));
            references.Save(entries);
        }

        return ImageDocuments.Read(blobs, manifestBlob.Digest, target.PinnedTo(manifestBlob.Digest));
    }

    /// <summary>
    /// Finds an image by a digest-pinned reference, a tag (<c>busybox</c> means <c>docker.io/library/busybox:latest</c>)
    /// or a bare <c>sha256:</c> digest. A digest decides on its own: the name beside it is not checked against the
    /// table. Throws not_found when the store does not hold it.
    /// </summary>
    public StoredImage Resolve(string reference) => Resolve(reference, null);

    /// <summary>
    /// As <see cref="Resolve(string)"/>; when the reference names a multi-platform image index, the manifest of
    /// <paramref name="platform"/> is chosen (not_found unless it was pulled). With no platform: the host's
    /// (linux/amd64) when the store holds it, else the one that was pulled.
    /// </summary>
    public StoredImage Resolve(string reference, ImagePlatform? platform)
    {
        if (Digest.LooksLikeDigest(reference))
        {
            var digest = Digest.Parse(reference);
            var named = references.Load().FirstOrDefault(entry => entry.ManifestDigest == digest && entry.Key is not null);
            return ImageDocuments.Read(blobs, digest, named is null ? null : ParseKey(named.Key!).PinnedTo(digest), platform);
        }

        var parsed = ImageReference.Parse(reference);
        if (parsed.Digest is { } pinned)
        {
            return ImageDocuments.Read(blobs, pinned, parsed, platform);
        }

        var key = parsed.WithDefaultTag().TableKey;
        var entry = references.Load().FirstOrDefault(candidate => candidate.Key == key)
            ?? throw new CleanroomException(ErrorCode.NotFound, $"image {key} is not in the image store; import or pull it first");
        return ImageDocuments.Read(blobs, entry.ManifestDigest, parsed.WithDefaultTag().PinnedTo(entry.ManifestDigest), platform);
    }

    /// <summary>
    /// Starts bringing an image in from outside (a registry pull): blobs are verified as they arrive and
    /// recorded with a reference by <see cref="ImageIntake.CommitAsync"/>.
    /// </summary>
    public ImageIntake BeginIntake() => new(blobs, references, storeLock, rootfs, clock);

    /// <summary>Every named reference with its image's digest, size and the time it was recorded, sorted by reference.</summary>
    public IReadOnlyList<ImageSummary> List()
    {
        var summaries = new List<ImageSummary>();
        foreach (var entry in references.Load().Where(entry => entry.Key is not null))
        {
            long size;
            try
            {
                size = ImageDocuments.Read(blobs, entry.ManifestDigest, null).Size;
            }
            catch (CleanroomException)
            {
                size = -1; // listed anyway, so a damaged image can be seen and removed
            }

            summaries.Add(new ImageSummary(ParseKey(entry.Key!).PinnedTo(entry.ManifestDigest), entry.ManifestDigest, size, entry.Created));
        }

        return summaries.OrderBy(summary => summary.Reference.ToString(), StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Removes a reference (a tag or pinned reference), or every reference to a bare digest, then deletes the
    /// blobs no reference needs any more. Refused with image_in_use while <paramref name="isInUse"/> says a live
    /// sandbox uses the image, unless <paramref name="force"/>; a forced removal leaves that sandbox's unpacked
    /// tree in place.
    /// </summary>
    public async Task<ImageRemoval> RemoveAsync(
        string reference, bool force, Func<Digest, bool> isInUse, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(isInUse);
        using (await storeLock.AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            var entries = references.Load();
            var (digest, doomed) = Select(reference, entries);
            var inUse = isInUse(digest);
            if (inUse && !force)
            {
                throw new CleanroomException(ErrorCode.ImageInUse,
                    $"image {digest} ({reference}) is used by a running sandbox; terminate the sandbox first, or remove with force "
                    + "(a spare of the server's warm pool counts too: it is not listed, and ends with the server or when a sandbox of another policy takes its place)");
            }

            // An index's trees are kept under its platform manifests' digests; find them before GC deletes them.
            var trees = PlatformManifestsOf(digest);
            var remaining = entries.Except(doomed).ToList();
            references.Save(remaining);
            var deleted = BlobCollector.Collect(blobs, remaining);
            var rootfsRemoved = false;
            if (!inUse && remaining.All(entry => entry.ManifestDigest != digest))
            {
                foreach (var tree in trees)
                {
                    rootfs.Remove(tree);
                }

                rootfsRemoved = true;
            }

            return new ImageRemoval(digest, doomed.Where(entry => entry.Key is not null).Select(entry => ParseKey(entry.Key!)).ToList(), deleted, rootfsRemoved);
        }
    }

    /// <summary>
    /// Unpacks the image's layers, bottom first, with whiteouts, into a directory cached by manifest digest
    /// and shared by every caller; returns its path. Treat the tree as read-only.
    /// </summary>
    public async Task<string> MaterialiseAsync(string reference, CancellationToken cancellationToken = default)
    {
        var image = Resolve(reference);
        return await rootfs.MaterialiseAsync(image, cancellationToken).ConfigureAwait(false);
    }

    private (Digest Digest, IReadOnlyList<ReferenceEntry> Doomed) Select(string reference, IReadOnlyList<ReferenceEntry> entries)
    {
        if (Digest.LooksLikeDigest(reference))
        {
            var digest = Digest.Parse(reference);
            return blobs.Contains(digest) || entries.Any(entry => entry.ManifestDigest == digest)
                ? (digest, entries.Where(entry => entry.ManifestDigest == digest).ToList())
                : throw new CleanroomException(ErrorCode.NotFound, $"image {digest} is not in the image store");
        }

        var parsed = ImageReference.Parse(reference);
        List<ReferenceEntry> doomed = parsed.Tag is not null || parsed.Digest is null
            ? entries.Where(entry => entry.Key == parsed.WithDefaultTag().TableKey
                && (parsed.Digest is null || entry.ManifestDigest == parsed.Digest)).ToList()
            : entries.Where(entry => entry.ManifestDigest == parsed.Digest && entry.Key is not null
                && ParseKey(entry.Key).Name == parsed.Name).ToList();
        return doomed.Count > 0
            ? (doomed[0].ManifestDigest, doomed)
            : throw new CleanroomException(ErrorCode.NotFound, $"image {parsed} is not in the image store");
    }

    private IReadOnlyList<Digest> PlatformManifestsOf(Digest digest)
    {
        try
        {
            return ImageDocuments.PlatformManifests(blobs, digest);
        }
        catch (CleanroomException)
        {
            return [digest];
        }
    }

    private static ImageReference ParseKey(string key) => ImageReference.Parse(key);

    private static OciImageConfig ConfigDocument(ImageConfig config, Digest diffId) =>
        new(Architecture, Os,
            new OciRuntimeConfig
            {
                Env = config.Env,
                Entrypoint = config.Entrypoint.Count > 0 ? config.Entrypoint : null,
                Cmd = config.Cmd.Count > 0 ? config.Cmd : null,
                WorkingDir = config.WorkingDir,
                User = config.User.Length > 0 ? config.User : null,
            },
            new OciRootfs("layers", [diffId.ToString()]))
        {
            History = [new OciHistory("cleanroom image import")],
        };
}
