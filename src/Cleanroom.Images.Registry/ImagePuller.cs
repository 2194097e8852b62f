using Cleanroom.Errors;
using Cleanroom.Images.Registry.Auth;
using Cleanroom.Images.Registry.Distribution;
using Cleanroom.Images.Registry.Transfer;

namespace Cleanroom.Images.Registry;

/// <summary>
/// Pulls images from OCI registries into an <see cref="ImageStore"/>. See README.md for the request flow, what a
/// pull of something already present costs, and the error codes. Safe to use from many threads; one instance
/// per server (it owns an HTTP connection pool and the token cache).
/// </summary>
public sealed class ImagePuller : IDisposable
{
    private static readonly string[] ConfigMediaTypes =
        ["application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"];

    private readonly ImageStore store;
    private readonly RegistryOptions options;
    private readonly HttpClient http;
    private readonly RegistryClient client;
    private readonly BlobDownloader downloader;

    /// <param name="transport">The innermost HTTP handler; null for real sockets (tests may pass their own).</param>
    public ImagePuller(ImageStore store, RegistryOptions options, HttpMessageHandler? transport = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        this.store = store;
        this.options = options;
        clock ??= TimeProvider.System;
        http = RegistryHttp.CreateClient(options, transport);
        client = new RegistryClient(http, new RegistryAuthenticator(http, new CredentialSource(options), options, clock));
        downloader = new BlobDownloader(client, options, clock);
    }

    /// <summary>
    /// Pulls <paramref name="reference"/> (<c>name[:tag][@sha256:…]</c>; no tag and no digest means <c>:latest</c>)
    /// for <paramref name="platform"/> (default linux/amd64) and records it in the store.
    /// A digest-pinned reference already in the store costs no request at all; a tag costs one manifest request
    /// when its image is already there.
    /// </summary>
    /// <returns>The stored image; its reference is pinned to the digest the registry served for the tag (an index's digest for a multi-platform image).</returns>
    public Task<StoredImage> PullAsync(
        string reference, ImagePlatform? platform = null, IProgress<PullProgress>? progress = null, CancellationToken cancellationToken = default) =>
        PullAsync(reference, platform, progress, unpack: false, cancellationToken);

    /// <summary>
    /// As <see cref="PullAsync(string, ImagePlatform?, IProgress{PullProgress}?, CancellationToken)"/>, and also unpacks the
    /// image's tree (what <see cref="ImageStore.MaterialiseAsync"/> returns) while its layers download: each layer flows
    /// from the registry through its digest check into the decompressor and the safe unpacker as it arrives, and the
    /// tree is put in place only once every layer was verified. Should streaming not work out (a download that started
    /// over), the tree is unpacked from the verified blobs afterwards.
    /// </summary>
    public Task<StoredImage> PullAndUnpackAsync(
        string reference, ImagePlatform? platform = null, IProgress<PullProgress>? progress = null, CancellationToken cancellationToken = default) =>
        PullAsync(reference, platform, progress, unpack: true, cancellationToken);

    private async Task<StoredImage> PullAsync(
        string reference, ImagePlatform? platform, IProgress<PullProgress>? progress, bool unpack, CancellationToken cancellationToken)
    {
        var pulled = await FetchAsync(reference, platform, progress, unpack, cancellationToken).ConfigureAwait(false);
        if (unpack)
        {
            await store.MaterialiseAsync(pulled.ManifestDigest.ToString(), cancellationToken).ConfigureAwait(false);
        }

        return pulled;
    }

    private async Task<StoredImage> FetchAsync(
        string reference, ImagePlatform? platform, IProgress<PullProgress>? progress, bool unpack, CancellationToken cancellationToken)
    {
        var target = ParsePullable(reference);
        using var intake = store.BeginIntake();
        if (target.Digest is { } pinned && await TryCommitPresentAsync(intake, target, pinned, platform, cancellationToken).ConfigureAwait(false) is { } present)
        {
            return present;
        }

        var where = RepositoryLocation.Of(target, options);
        var top = await client.GetManifestAsync(where, target.Digest?.ToString() ?? target.Tag!, cancellationToken).ConfigureAwait(false);
        var manifest = top;
        if (top.IsIndex)
        {
            var chosen = PlatformSelector.Select(top, platform ?? ImagePlatform.Host, $"image {target}");
            var chosenDigest = ParseDigest(chosen.Digest, top.Digest);
            if (intake.Holds(chosenDigest) && intake.Holds(top.Digest)
                && await TryCommitPresentAsync(intake, target, top.Digest, platform, cancellationToken).ConfigureAwait(false) is { } presentIndex)
            {
                return presentIndex;
            }

            manifest = await client.GetManifestAsync(where, chosenDigest.ToString(), cancellationToken).ConfigureAwait(false);
            if (manifest.IsIndex)
            {
                throw new CleanroomException(ErrorCode.ImageInvalid, $"image {target}: index {top.Digest} lists another index ({chosenDigest}) for platform {platform ?? ImagePlatform.Host}; nested indexes are not supported");
            }
        }
        else if (intake.Holds(top.Digest)
                 && await TryCommitPresentAsync(intake, target, top.Digest, platform, cancellationToken).ConfigureAwait(false) is { } presentManifest)
        {
            return presentManifest;
        }

        await intake.AddDocumentAsync(top.Digest, top.Bytes, cancellationToken).ConfigureAwait(false);
        if (manifest != top)
        {
            await intake.AddDocumentAsync(manifest.Digest, manifest.Bytes, cancellationToken).ConfigureAwait(false);
        }

        var blobs = Blobs(manifest, target);
        if (unpack)
        {
            await DownloadAndUnpackAsync(where, manifest.Digest, blobs, intake, progress, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await DownloadAllAsync(where, blobs, intake, progress, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await intake.CommitAsync(target, top.Digest, platform, cancellationToken).ConfigureAwait(false);
        }
        catch (CleanroomException e) when (e.Code == ErrorCode.NotFound)
        {
            // A blob the store held when the pull began was garbage-collected since (an image removed meanwhile).
            await DownloadAllAsync(where, blobs, intake, progress, cancellationToken).ConfigureAwait(false);
            return await intake.CommitAsync(target, top.Digest, platform, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The digest a tag points at in its registry now (one HEAD request): the index's digest for a
    /// multi-platform image, as <c>docker pull</c> shows it. Used to bump a policy's pinned reference.
    /// </summary>
    public async Task<Digest> ResolveDigestAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var where = RepositoryLocation.Of(reference, options);
        return await client.ResolveDigestAsync(where, reference.Tag ?? "latest", cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => http.Dispose();

    private static ImageReference ParsePullable(string reference)
    {
        if (Digest.TryParse(reference, out _, out _))
        {
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"\"{reference}\" is a bare digest, which names no registry or repository; pull name@{reference}");
        }

        var parsed = ImageReference.Parse(reference);
        return parsed.Tag is null && parsed.Digest is null ? ImageReference.Parse(reference + ":latest") : parsed;
    }

    private static async Task<StoredImage?> TryCommitPresentAsync(
        ImageIntake intake, ImageReference target, Digest top, ImagePlatform? platform, CancellationToken cancellationToken)
    {
        try
        {
            return await intake.CommitAsync(target, top, platform, cancellationToken).ConfigureAwait(false);
        }
        catch (CleanroomException e) when (e.Code == ErrorCode.NotFound)
        {
            return null; // not (all) here: fetch it
        }
    }

    // The config first (its diff_ids describe the layers), then the layers in parallel while the unpacker follows
    // them bottom first; the unpacker ends shortly after the last download. It is best effort: when it failed,
    // MaterialiseAsync after the commit unpacks from the verified blobs (and reports a real problem of the image).
    private async Task DownloadAndUnpackAsync(
        RepositoryLocation where, Digest manifest, IReadOnlyList<(Digest Digest, long Size, string Kind)> blobs, ImageIntake intake,
        IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        foreach (var blob in blobs)
        {
            progress?.Report(new PullProgress(blob.Digest, blob.Kind, 0, blob.Size, PullStage.Queued));
        }

        var config = blobs[0];
        await downloader.DownloadAsync(where, config.Digest, config.Size, config.Kind, intake, progress, cancellationToken).ConfigureAwait(false);
        var layerBlobs = blobs.Skip(1).ToList();
        await using var arriving = ArrivingLayers.TryCreate(intake, config.Digest, layerBlobs);
        if (arriving is null)
        {
            await DownloadAllAsync(where, layerBlobs, intake, progress, cancellationToken, queued: true, opened: null).ConfigureAwait(false);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var unpacking = intake.UnpackWhileArrivingAsync(manifest, arriving.Layers, arriving.OpenAsync, stop.Token);
        try
        {
            await DownloadAllAsync(where, layerBlobs, intake, progress, cancellationToken, queued: true, opened: arriving.Opened).ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            arriving.EndOfDownloads();
            try
            {
                await unpacking.ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // Unpacked again from the verified blobs after the commit, which then reports any real problem.
            }
        }
    }

    private async Task DownloadAllAsync(
        RepositoryLocation where, IReadOnlyList<(Digest Digest, long Size, string Kind)> blobs, ImageIntake intake,
        IProgress<PullProgress>? progress, CancellationToken cancellationToken, bool queued = false, Action<IncomingBlob>? opened = null)
    {
        if (!queued)
        {
            foreach (var blob in blobs)
            {
                progress?.Report(new PullProgress(blob.Digest, blob.Kind, 0, blob.Size, PullStage.Queued));
            }
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxConcurrentDownloads), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(blobs, parallel, (blob, ct) =>
            new ValueTask(downloader.DownloadAsync(where, blob.Digest, blob.Size, blob.Kind, intake, progress, ct, opened))).ConfigureAwait(false);
    }

    private static IReadOnlyList<(Digest Digest, long Size, string Kind)> Blobs(ManifestDocument manifest, ImageReference target)
    {
        var config = manifest.Content.Config!;
        if (config.MediaType is not null && !ConfigMediaTypes.Contains(config.MediaType))
        {
            throw new CleanroomException(ErrorCode.ImageInvalid,
                $"{target} is not a container image: its config has media type {config.MediaType}");
        }

        var blobs = new List<(Digest, long, string)> { (ParseDigest(config.Digest, manifest.Digest), config.Size, "config") };
        foreach (var layer in manifest.Content.Layers!)
        {
            // gzip, zstd and plain tar layers, OCI or Docker spelling; the store reads the compression from the bytes.
            if (layer.MediaType is { } type && !type.Contains(".tar", StringComparison.Ordinal) && !type.Contains("rootfs.diff", StringComparison.Ordinal))
            {
                throw new CleanroomException(ErrorCode.ImageInvalid, $"{target} has a layer of media type {type}, which is not a tar layer");
            }

            blobs.Add((ParseDigest(layer.Digest, manifest.Digest), layer.Size, "layer"));
        }

        return blobs;
    }

    private static Digest ParseDigest(string text, Digest manifest) =>
        Digest.TryParse(text, out var digest, out var problem)
            ? digest
            : throw new CleanroomException(ErrorCode.ImageInvalid, $"manifest {manifest} lists a bad digest: {problem}");
}
