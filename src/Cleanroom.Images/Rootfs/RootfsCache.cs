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
        var build = builds.GetOrAdd(image.ManifestDigest, _ => new Lazy<Task<string>>(() =>
            BuildAsync(image.ManifestDigest, image.Layers, (layer, _) => Task.FromResult(blobs.OpenSequentialRead(layer.Digest)), CancellationToken.None)));
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

    /// <summary>
    /// Builds the tree of an image whose blobs are still arriving (a pull unpacking while it downloads): each layer
    /// is read through <paramref name="open"/>, which may give a stream that ends only once the layer's digest is
    /// verified. The tree is renamed into place only when every layer was applied and verified.
    /// </summary>
    public Task<string> MaterialiseArrivingAsync(
        Digest manifestDigest, IReadOnlyList<ImageLayer> layers, Func<ImageLayer, CancellationToken, Task<Stream>> open, CancellationToken cancellationToken) =>
        FileSystemCalls.LStatKind(PathOf(manifestDigest)) == FileKind.Directory
            ? Task.FromResult(PathOf(manifestDigest))
            : BuildAsync(manifestDigest, layers, open, cancellationToken);

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

    private async Task<string> BuildAsync(
        Digest manifestDigest, IReadOnlyList<ImageLayer> layers, Func<ImageLayer, CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        var final = PathOf(manifestDigest);
        var building = Path.Combine(cacheRoot, $"{BuildingPrefix}{manifestDigest.Hex}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(building, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var unpacker = new LayerUnpacker(building);
            // The blob's digest and the tar's diff_id are checked as each layer streams through: a damaged or
            // swapped blob fails the build (its partial tree is discarded) instead of becoming a sandbox's root.
            await LayerPipeline.ApplyAsync(layers, open, unpacker, cancellationToken).ConfigureAwait(false);
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
}
