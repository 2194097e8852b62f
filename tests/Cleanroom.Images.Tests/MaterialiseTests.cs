using Cleanroom.Errors;

namespace Cleanroom.Images.Tests;

public sealed class MaterialiseTests : IDisposable
{
    private readonly TestDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task An_image_unpacks_into_the_cache_under_its_manifest_digest()
    {
        var store = dir.OpenStore();
        var image = await store.ImportAsync("app", TarBuilder.SmallRootfs("unpacked").ToStream());

        var root = await store.MaterialiseAsync("app");

        Assert.Equal(Path.Combine(dir.CacheRoot, image.ManifestDigest.Hex), root);
        Assert.Contains("unpacked", File.ReadAllText(Path.Combine(root, "bin/tool")));
        Assert.Equal("/bin/tool", new FileInfo(Path.Combine(root, "bin/sh")).LinkTarget);
    }

    [Fact]
    public async Task Concurrent_requests_share_one_tree_and_leave_no_build_directories()
    {
        var store = dir.OpenStore();
        var image = await store.ImportAsync("app", TarBuilder.SmallRootfs().ToStream());
        var otherStore = dir.OpenStore();

        var paths = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Task.Run(() => (i % 2 == 0 ? store : otherStore).MaterialiseAsync(image.ManifestDigest.ToString()))));

        Assert.Single(paths.Distinct());
        Assert.Equal([image.ManifestDigest.Hex], Directory.EnumerateFileSystemEntries(dir.CacheRoot).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_damaged_layer_blob_fails_the_build_and_leaves_no_tree()
    {
        var store = dir.OpenStore();
        var image = await store.ImportAsync("app", TarBuilder.SmallRootfs().ToStream());
        var blob = Path.Combine(dir.StoreRoot, "blobs", "sha256", image.Layers[0].Digest.Hex);
        var gzipped = File.ReadAllBytes(blob);
        File.WriteAllBytes(blob, [.. gzipped, 0, 0, 0, 0]);

        var error = await Assert.ThrowsAsync<CleanroomException>(() => store.MaterialiseAsync("app"));

        Assert.Equal(ErrorCode.ImageInvalid, error.Code);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.CacheRoot));
    }

    [Fact]
    public async Task Materialising_an_unknown_image_is_not_found()
    {
        var error = await Assert.ThrowsAsync<CleanroomException>(() => dir.OpenStore().MaterialiseAsync("ghost"));

        Assert.Equal(ErrorCode.NotFound, error.Code);
    }
}
