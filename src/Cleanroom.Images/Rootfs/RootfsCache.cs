using System.Collections.Concurrent;
using Cleanroom.Errors;
using Cleanroom.Images.Interop;
using Cleanroom.Images.Layers;
using Cleanroom.Images.Storage;

namespace Cleanroom.Images.Rootfs;

/// <summary>
/// Unpacked image trees, one per manifest digest at <c>&lt;cache root&gt;/&lt;hex&gt;</c>, shared read-only by every
/// sandbox of that image (gVisor's lower layer). A tree is built in a private temporary directory beside its
/// final place and renamed there only when complete, so its presence means it is whole; concurrent requests
/// in this process share one build, and a build that loses a race with another process is discarded.
/// </summary>
internal sealed class RootfsCache
{
    private const string BuildingPrefix = ".building-";
    private const string RemovingPrefix = ".removing-";
    private readonly string cacheRoot;
    private readonly BlobStore blobs;
    private readonly ConcurrentDictionary<Digest, Lazy<Task<string>>> builds = new();

    public RootfsCache(string cacheRoot, BlobStore blobs)
    {
        this.cacheRoot = Path.GetFullPath(cacheRoot);
        this.blobs = blobs;
        Directory.CreateDirectory(this.cacheRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string PathOf(Digest manifestDigest) => Path.Combine(cacheRoot, manifestDigest.Hex);

    public async Task<string> MaterialiseAsync(StoredImage image, CancellationToken cancellationToken)
    {
        var final = PathOf(image.ManifestDigest);
        if (FileSystemCalls.LStatKind(final) == FileKind.Directory)
        {
            return final;
        }

        // The shared build is not cancelled by one waiter giving up; its result is cached for the next caller.
        var build = builds.GetOrAdd(image.ManifestDigest, _ => new Lazy<Task<string>>(() => BuildAsync(image, final)));
        try
        {
            return await build.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (build.Value.IsCompleted)
            {
                builds.TryRemove(new KeyValuePair<Digest, Lazy<Task<string>>>(image.ManifestDigest, build));
            }
        }
    }

    /// <summary>Deletes an image's tree: renamed away first, so no one finds it half deleted.</summary>
    public void Remove(Digest manifestDigest)
    {
        var final = PathOf(manifestDigest);
        if (FileSystemCalls.LStatKind(final) != FileKind.Directory)
        {
            return;
        }

        var doomed = Path.Combine(cacheRoot, $"{RemovingPrefix}{manifestDigest.Hex}-{Guid.NewGuid():N}");
        Directory.Move(final, doomed);
        ConfinedTree.RemoveTree(doomed);
    }

    private async Task<string> BuildAsync(StoredImage image, string final)
    {
        var building = Path.Combine(cacheRoot, $"{BuildingPrefix}{image.ManifestDigest.Hex}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(building, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var unpacker = new LayerUnpacker(building);
            foreach (var layer in image.Layers)
            {
                await ApplyVerifiedAsync(unpacker, layer).ConfigureAwait(false);
            }

            unpacker.Finish();
            try
            {
                Directory.Move(building, final);
            }
            catch (IOException) when (FileSystemCalls.LStatKind(final) == FileKind.Directory)
            {
                // Another process finished the same tree first; the trees are identical, keep theirs.
                ConfinedTree.RemoveTree(building);
            }

            return final;
        }
        catch
        {
            ConfinedTree.RemoveTree(building);
            throw;
        }
    }

    // The blob's digest and the tar's diff_id are checked as the layer streams through: a damaged or swapped
    // blob fails the build (its partial tree is discarded) instead of becoming a sandbox's root.
    private async Task ApplyVerifiedAsync(LayerUnpacker unpacker, ImageLayer layer)
    {
        using var blob = new HashingStream(blobs.OpenRead(layer.Digest));
        await using var tar = await LayerCompression.OpenUncompressedAsync(blob, $"layer {layer.Digest}", CancellationToken.None).ConfigureAwait(false);
        using var uncompressed = new HashingStream(tar, leaveOpen: true);
        await unpacker.ApplyAsync(uncompressed, CancellationToken.None).ConfigureAwait(false);
        await uncompressed.CopyToAsync(Stream.Null).ConfigureAwait(false);
        await blob.CopyToAsync(Stream.Null).ConfigureAwait(false);
        if (blob.Finish() != layer.Digest || uncompressed.Finish() != layer.DiffId)
        {
            throw new CleanroomException(ErrorCode.ImageInvalid,
                $"layer {layer.Digest} is damaged: its content does not match its digest or its diff_id {layer.DiffId}");
        }
    }
}
