using System.Security.Cryptography;
using Cleanroom.Errors;
using Cleanroom.Images.Registry.Tests.Support;

namespace Cleanroom.Images.Registry.Tests;

/// <summary>
/// PullAndUnpackAsync unpacks layers while they download: the tree must be exactly what unpacking the stored image
/// gives, a download cut off midway must still end in the right tree, and damaged bytes must leave no tree at all.
/// </summary>
public sealed class UnpackWhileDownloadingTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    [RegistryFact]
    public async Task Whiteouts_and_opaque_directories_give_the_same_tree_as_unpacking_after_the_pull()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        layout.Tag("1.0", layout.AddImage(MultiLayerPullTests.WhiteoutLayers()));
        await registry.PushAsync(layout, "1.0", "team/app");
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, Pulling.Options(registry.Host));

        var image = await puller.PullAndUnpackAsync($"{registry.Host}/team/app:1.0");

        var root = Path.Combine(scratch.Root, "rootfs", image.ManifestDigest.Hex);
        Assert.True(Directory.Exists(root), "the tree is in place when the pull returns");
        Assert.Equal(root, await store.MaterialiseAsync(image.Reference!.ToString()));
        Assert.Equal(["a.conf", "c.conf"], Directory.GetFiles(Path.Combine(root, "etc/app")).Select(Path.GetFileName).Order());
        Assert.False(File.Exists(Path.Combine(root, "bin/tool")));
        Assert.Equal(["new"], Directory.EnumerateFileSystemEntries(Path.Combine(root, "var/cache")).Select(Path.GetFileName));
        Assert.False(Path.Exists(Path.Combine(root, "link")));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(scratch.Root, "rootfs"), ".building-*"));
    }

    [RegistryFact]
    public async Task A_layer_cut_off_midway_resumes_and_its_unpacked_file_is_whole()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var payload = RandomNumberGenerator.GetBytes(3_000_000);
        var big = new LayerBuilder().File("payload", payload).Build(LayerCompression.None);
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        layout.Tag("1", layout.AddImage([new LayerBuilder().File("small", "s").Build(), big]));
        await registry.PushAsync(layout, "1", "team/big");
        await using var proxy = await FaultProxy.StartAsync(registry.Host);
        proxy.CutBlob = big.Digest;
        proxy.CutAfterBytes = 1_000_000;
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, Pulling.Options(proxy.Host));

        var image = await puller.PullAndUnpackAsync($"{proxy.Host}/team/big:1");

        Assert.Contains(proxy.Requests, request => request.Path.EndsWith(big.Digest, StringComparison.Ordinal) && request.Range is not null);
        var root = Path.Combine(scratch.Root, "rootfs", image.ManifestDigest.Hex);
        Assert.Equal(payload, await File.ReadAllBytesAsync(Path.Combine(root, "payload")));
        Assert.Equal("s", await File.ReadAllTextAsync(Path.Combine(root, "small")));
    }

    [RegistryFact]
    public async Task A_damaged_layer_fails_the_pull_and_leaves_no_tree_and_no_blob()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var big = new LayerBuilder().File("payload", RandomNumberGenerator.GetBytes(2_000_000)).Build(LayerCompression.None);
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        var manifest = layout.AddImage([new LayerBuilder().File("small", "s").Build(), big]);
        layout.Tag("1", manifest);
        await registry.PushAsync(layout, "1", "team/big");
        await using var proxy = await FaultProxy.StartAsync(registry.Host);
        proxy.CorruptBlob = big.Digest;
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, Pulling.Options(proxy.Host));

        var error = await Assert.ThrowsAsync<CleanroomException>(() => puller.PullAndUnpackAsync($"{proxy.Host}/team/big:1"));

        Assert.Equal(ErrorCode.DigestMismatch, error.Code);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(scratch.Root, "rootfs")));
        Assert.False(File.Exists(Path.Combine(scratch.StoreRoot, "blobs", "sha256", big.Digest["sha256:".Length..])));
        Assert.Empty(store.List());
    }
}
