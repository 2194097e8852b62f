using System.Security.Cryptography;
using Cleanroom.Errors;
using Cleanroom.Images.Registry.Tests.Support;

namespace Cleanroom.Images.Registry.Tests;

/// <summary>Pulling real images from a real registry and materialising them: layers, whiteouts, compressions, formats.</summary>
public sealed class MultiLayerPullTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    internal static IReadOnlyList<BuiltLayer> WhiteoutLayers() =>
    [
        new LayerBuilder()
            .Directory("bin").File("bin/tool", "v1")
            .Directory("etc").Directory("etc/app").File("etc/app/a.conf", "a").File("etc/app/b.conf", "b")
            .Directory("var").Directory("var/cache").File("var/cache/old", "old").Directory("var/cache/sub").File("var/cache/sub/deep", "deep")
            .Symlink("link", "etc/app")
            .Build(),
        new LayerBuilder()
            .File("bin/tool", "v2")
            .Whiteout("etc/app/b.conf")
            .Opaque("var/cache").File("var/cache/new", "new")
            .Whiteout("link")
            .Build(),
        new LayerBuilder()
            .File("etc/app/c.conf", "c")
            .Whiteout("bin/tool")
            .Build(),
    ];

    [RegistryFact]
    public async Task A_multi_layer_image_with_whiteouts_and_opaque_directories_materialises_as_its_layers_say()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        var layers = WhiteoutLayers();
        var manifest = layout.AddImage(layers);
        layout.Tag("1.0", manifest);
        await registry.PushAsync(layout, "1.0", "team/app");
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, Pulling.Options(registry.Host));
        var progress = new Pulling.Recorder();

        var image = await puller.PullAsync($"{registry.Host}/team/app:1.0", progress: progress);
        var root = await store.MaterialiseAsync(image.Reference!.ToString());

        Assert.Equal($"{registry.Host}/team/app:1.0@{manifest.Digest}", image.Reference.ToString());
        Assert.Equal(["a.conf", "c.conf"], Directory.GetFiles(Path.Combine(root, "etc/app")).Select(Path.GetFileName).Order());
        Assert.False(File.Exists(Path.Combine(root, "bin/tool")));
        Assert.Equal(["new"], Directory.EnumerateFileSystemEntries(Path.Combine(root, "var/cache")).Select(Path.GetFileName));
        Assert.False(Path.Exists(Path.Combine(root, "link")));
        Assert.Equal("c", File.ReadAllText(Path.Combine(root, "etc/app/c.conf")));
        foreach (var layer in layers)
        {
            Assert.Contains(progress.Reports, report => report.Blob.ToString() == layer.Digest && report.Stage == PullStage.Verified
                && report.Kind == "layer" && report.BytesDone == layer.Blob.Length && report.BytesTotal == layer.Blob.Length);
        }
    }

    [RegistryFact]
    public async Task Pulling_a_pinned_image_already_in_the_store_makes_no_request_and_a_tag_makes_one()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        layout.Tag("1.0", layout.AddImage(WhiteoutLayers()));
        await registry.PushAsync(layout, "1.0", "team/app");
        var store = scratch.OpenStore();
        StoredImage first;
        using (var puller = Pulling.Puller(store, Pulling.Options(registry.Host)))
        {
            first = await puller.PullAsync($"{registry.Host}/team/app:1.0");
        }

        var counter = new CountingHandler();
        using var counted = Pulling.Puller(store, Pulling.Options(registry.Host), counter);
        var pinned = await counted.PullAsync(first.Reference!.ToString());
        var afterPinned = counter.Count;
        var tagged = await counted.PullAsync($"{registry.Host}/team/app:1.0", progress: new Pulling.Recorder());

        Assert.Equal(0, afterPinned);
        Assert.Equal(1, counter.Count);
        Assert.Equal(first.ManifestDigest, pinned.ManifestDigest);
        Assert.Equal(first.ManifestDigest, tagged.ManifestDigest);
    }

    [RegistryFact]
    public async Task Gzip_zstd_and_uncompressed_layers_in_one_image_all_unpack()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        var layers = new[]
        {
            new LayerBuilder().Directory("data").File("data/gzip.txt", "from gzip").Build(LayerCompression.Gzip),
            new LayerBuilder().File("data/zstd.txt", "from zstd").Whiteout("data/gzip.txt").Build(LayerCompression.Zstd),
            new LayerBuilder().File("data/plain.txt", "from a plain tar").Build(LayerCompression.None),
        };
        var manifest = layout.AddImage(layers);
        layout.Tag("mixed", manifest);
        await registry.PushAsync(layout, "mixed", "team/mixed");
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, Pulling.Options(registry.Host));

        var image = await puller.PullAsync($"{registry.Host}/team/mixed:mixed");
        var root = await store.MaterialiseAsync(image.Reference!.ToString());

        Assert.Equal(manifest.Digest, image.ManifestDigest.ToString());
        Assert.Equal(layers.Select(layer => layer.MediaType), image.Layers.Select(layer => layer.MediaType));
        Assert.Equal(["plain.txt", "zstd.txt"], Directory.GetFiles(Path.Combine(root, "data")).Select(Path.GetFileName).Order());
        Assert.Equal("from zstd", File.ReadAllText(Path.Combine(root, "data/zstd.txt")));
    }

    [RegistryFact]
    public async Task A_docker_schema_2_image_pulls_and_unpacks()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        layout.Tag("v2", layout.AddImage(WhiteoutLayers()));
        await registry.PushAsync(layout, "v2", "team/docker", format: "v2s2");
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, Pulling.Options(registry.Host));

        var image = await puller.PullAsync($"{registry.Host}/team/docker:v2");
        var root = await store.MaterialiseAsync(image.Reference!.ToString());

        Assert.All(image.Layers, layer => Assert.Equal("application/vnd.docker.image.rootfs.diff.tar.gzip", layer.MediaType));
        Assert.Equal("c", File.ReadAllText(Path.Combine(root, "etc/app/c.conf")));
        var manifestPath = Path.Combine(scratch.StoreRoot, "blobs", "sha256", image.ManifestDigest.Hex);
        Assert.Contains("application/vnd.docker.distribution.manifest.v2+json", File.ReadAllText(manifestPath));
    }

    [RegistryFact]
    public async Task Several_large_layers_download_at_once_and_verify()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        var layers = Enumerable.Range(0, 4)
            .Select(i => new LayerBuilder().File($"blob{i}", RandomNumberGenerator.GetBytes(1_500_000)).Build())
            .ToList();
        layout.Tag("big", layout.AddImage(layers));
        await registry.PushAsync(layout, "big", "team/big");
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, Pulling.Options(registry.Host) with { MaxConcurrentDownloads = 4 });
        var progress = new Pulling.Recorder();

        var image = await puller.PullAsync($"{registry.Host}/team/big:big", progress: progress);

        Assert.Equal(layers.Select(layer => layer.Digest), image.Layers.Select(layer => layer.Digest.ToString()));
        Assert.Contains(progress.Reports, report => report.Stage == PullStage.Downloading && report.BytesDone < report.BytesTotal);
        Assert.Equal(5, progress.Reports.Count(report => report.Stage == PullStage.Verified));
    }

    [RegistryFact]
    public async Task An_unknown_tag_or_repository_is_image_not_found()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        layout.Tag("1.0", layout.AddImage(WhiteoutLayers()));
        await registry.PushAsync(layout, "1.0", "team/app");
        using var puller = Pulling.Puller(scratch.OpenStore(), Pulling.Options(registry.Host));

        var tag = await Assert.ThrowsAsync<CleanroomException>(() => puller.PullAsync($"{registry.Host}/team/app:2.0"));
        var repository = await Assert.ThrowsAsync<CleanroomException>(() => puller.PullAsync($"{registry.Host}/team/nothing:1.0"));

        Assert.Equal(ErrorCode.ImageNotFound, tag.Code);
        Assert.Contains("team/app:2.0", tag.Message);
        Assert.Contains("MANIFEST_UNKNOWN", tag.Message);
        Assert.Equal(ErrorCode.ImageNotFound, repository.Code);
    }
}
