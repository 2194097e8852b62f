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
    public async Task<StoredImage> PullAsync(
        string reference, ImagePlatform? platform = null, IProgress<PullProgress>? progress = null, CancellationToken cancellationToken = default)
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
        await DownloadAllAsync(where, blobs, intake, progress, cancellationToken).ConfigureAwait(false);
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

    private async Task DownloadAllAsync(
        RepositoryLocation where, IReadOnlyList<(Digest Digest, long Size, string Kind)> blobs, ImageIntake intake,
        IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        foreach (var blob in blobs)
        {
            progress?.Report(new PullProgress(blob.Digest, blob.Kind, 0, blob.Size, PullStage.Queued));
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxConcurrentDownloads), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(blobs, parallel, (blob, ct) =>
            new ValueTask(downloader.DownloadAsync(where, blob.Digest, blob.Size, blob.Kind, intake, progress, ct))).ConfigureAwait(false);
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
