using Cleanroom.Errors;

namespace Cleanroom.Images.Tests;

public sealed class ImageRemovalTests : IDisposable
{
    private readonly TestDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private string BlobPath(Digest digest) => Path.Combine(dir.StoreRoot, "blobs", "sha256", digest.Hex);

    [Fact]
    public async Task Removing_an_image_in_use_is_refused_and_changes_nothing()
    {
        var store = dir.OpenStore();
        var image = await store.ImportAsync("app", TarBuilder.SmallRootfs().ToStream());

        var error = await Assert.ThrowsAsync<CleanroomException>(() => store.RemoveAsync("app", force: false, digest => digest == image.ManifestDigest));

        Assert.Equal(ErrorCode.ImageInUse, error.Code);
        Assert.Contains("force", error.Message);
        Assert.Equal(image.ManifestDigest, store.Resolve("app").ManifestDigest);
        Assert.True(File.Exists(BlobPath(image.Layers[0].Digest)));
    }

    [Fact]
    public async Task Force_removes_an_image_in_use_but_leaves_its_unpacked_tree_for_the_running_sandbox()
    {
        var store = dir.OpenStore();
        var image = await store.ImportAsync("app", TarBuilder.SmallRootfs().ToStream());
        var tree = await store.MaterialiseAsync("app");

        var removal = await store.RemoveAsync("app", force: true, _ => true);

        Assert.False(removal.RootfsRemoved);
        Assert.True(Directory.Exists(tree));
        Assert.Throws<CleanroomException>(() => store.Resolve("app"));
        Assert.False(File.Exists(BlobPath(image.ManifestDigest)));
    }

    [Fact]
    public async Task Removing_the_last_reference_collects_the_manifest_config_layer_and_unpacked_tree()
    {
        var store = dir.OpenStore();
        var image = await store.ImportAsync("app", TarBuilder.SmallRootfs().ToStream());
        var tree = await store.MaterialiseAsync("app");

        var removal = await store.RemoveAsync("app", force: false, _ => false);

        Assert.Equal(
            new[] { image.ManifestDigest, image.ConfigDigest, image.Layers[0].Digest }.Select(d => d.ToString()).Order(),
            removal.DeletedBlobs.Select(d => d.ToString()).Order());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.StoreRoot, "blobs", "sha256")));
        Assert.True(removal.RootfsRemoved);
        Assert.False(Directory.Exists(tree));
        Assert.Empty(store.List());
    }

    [Fact]
    public async Task Blobs_another_reference_still_needs_are_kept()
    {
        var store = dir.OpenStore();
        var tar = TarBuilder.SmallRootfs();
        var image = await store.ImportAsync("one", tar.ToStream());
        await store.ImportAsync("two", tar.ToStream(), new ImageConfig { Cmd = ["/bin/tool"] });

        var removal = await store.RemoveAsync("one", force: false, _ => false);

        Assert.Contains(image.ManifestDigest, removal.DeletedBlobs);
        Assert.DoesNotContain(image.Layers[0].Digest, removal.DeletedBlobs);
        Assert.True(File.Exists(BlobPath(image.Layers[0].Digest)));
        Assert.Equal(image.Layers[0].Digest, store.Resolve("two").Layers[0].Digest);
    }

    [Fact]
    public async Task Removing_by_digest_removes_every_reference_to_it()
    {
        var store = dir.OpenStore();
        var tar = TarBuilder.SmallRootfs();
        var image = await store.ImportAsync("one", tar.ToStream());
        await store.ImportAsync("two", tar.ToStream());

        var removal = await store.RemoveAsync(image.ManifestDigest.ToString(), force: false, _ => false);

        Assert.Equal(2, removal.RemovedReferences.Count);
        Assert.Empty(store.List());
        Assert.False(File.Exists(BlobPath(image.ManifestDigest)));
    }

    [Fact]
    public async Task Removing_one_tag_of_an_image_keeps_its_other_tags_and_blobs()
    {
        var store = dir.OpenStore();
        var tar = TarBuilder.SmallRootfs();
        var image = await store.ImportAsync("app:1", tar.ToStream());
        await store.ImportAsync("app:stable", tar.ToStream());

        var removal = await store.RemoveAsync("app:1", force: false, _ => false);

        Assert.Empty(removal.DeletedBlobs);
        Assert.Equal(image.ManifestDigest, store.Resolve("app:stable").ManifestDigest);
    }

    [Fact]
    public async Task Removing_an_unknown_image_is_not_found()
    {
        var store = dir.OpenStore();

        var error = await Assert.ThrowsAsync<CleanroomException>(() => store.RemoveAsync("ghost", force: false, _ => false));

        Assert.Equal(ErrorCode.NotFound, error.Code);
    }

    [Fact]
    public async Task Blobs_no_reference_needs_are_collected_on_the_next_removal()
    {
        var store = dir.OpenStore();
        var moved = await store.ImportAsync("app", TarBuilder.SmallRootfs("one").ToStream());
        await store.ImportAsync("app", TarBuilder.SmallRootfs("two").ToStream());
        await store.ImportAsync("other", TarBuilder.SmallRootfs("three").ToStream());

        var removal = await store.RemoveAsync("other", force: false, _ => false);

        Assert.Contains(moved.ManifestDigest, removal.DeletedBlobs);
        Assert.Contains(moved.Layers[0].Digest, removal.DeletedBlobs);
        Assert.NotNull(store.Resolve("app"));
    }
}
