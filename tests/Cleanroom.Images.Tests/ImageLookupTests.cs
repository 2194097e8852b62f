using Cleanroom.Errors;

namespace Cleanroom.Images.Tests;

public sealed class ImageLookupTests : IDisposable
{
    private readonly TestDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task An_image_resolves_by_tag_by_bare_digest_and_by_pinned_reference()
    {
        var store = dir.OpenStore();
        var imported = await store.ImportAsync("busybox", TarBuilder.SmallRootfs().ToStream());
        var digest = imported.ManifestDigest;

        var byShortName = store.Resolve("busybox");
        var byFullTag = store.Resolve("docker.io/library/busybox:latest");
        var byDigest = store.Resolve(digest.ToString());
        var byPinned = store.Resolve($"busybox:latest@{digest}");

        Assert.All(new[] { byShortName, byFullTag, byDigest, byPinned }, image => Assert.Equal(digest, image.ManifestDigest));
        Assert.Equal($"docker.io/library/busybox:latest@{digest}", byShortName.Reference!.ToString());
        Assert.Equal($"docker.io/library/busybox:latest@{digest}", byDigest.Reference!.ToString());
        Assert.Equal(imported.Layers, byPinned.Layers);
    }

    [Fact]
    public async Task A_pinned_reference_is_resolved_by_its_digest_whatever_name_it_carries()
    {
        var store = dir.OpenStore();
        var digest = (await store.ImportAsync("busybox", TarBuilder.SmallRootfs().ToStream())).ManifestDigest;

        var image = store.Resolve($"ghcr.io/elsewhere/busybox@{digest}");

        Assert.Equal(digest, image.ManifestDigest);
    }

    [Theory]
    [InlineData("busybox")]
    [InlineData("busybox:other")]
    [InlineData("sha256:1111111111111111111111111111111111111111111111111111111111111111")]
    [InlineData("busybox@sha256:1111111111111111111111111111111111111111111111111111111111111111")]
    public async Task An_unknown_image_is_not_found(string reference)
    {
        var store = dir.OpenStore();
        await store.ImportAsync("other", TarBuilder.SmallRootfs().ToStream());

        var error = Assert.Throws<CleanroomException>(() => store.Resolve(reference));

        Assert.Equal(ErrorCode.NotFound, error.Code);
    }

    [Fact]
    public async Task Importing_a_tag_again_moves_it_to_the_new_image()
    {
        var store = dir.OpenStore();
        await store.ImportAsync("app:dev", TarBuilder.SmallRootfs("one").ToStream());
        var second = await store.ImportAsync("app:dev", TarBuilder.SmallRootfs("two").ToStream());

        Assert.Equal(second.ManifestDigest, store.Resolve("app:dev").ManifestDigest);
        Assert.Single(store.List());
    }

    [Fact]
    public async Task List_shows_every_reference_with_digest_size_and_time_sorted()
    {
        var clock = new FixedClock(new DateTimeOffset(2025, 5, 20, 12, 0, 0, TimeSpan.Zero));
        var store = new ImageStore(new ImageStoreOptions(dir.StoreRoot, dir.CacheRoot), clock);
        var busybox = await store.ImportAsync("busybox", TarBuilder.SmallRootfs("one").ToStream());
        var app = await store.ImportAsync("ghcr.io/me/app:1", TarBuilder.SmallRootfs("two").ToStream());

        var list = store.List();

        Assert.Equal(
            [$"docker.io/library/busybox:latest@{busybox.ManifestDigest}", $"ghcr.io/me/app:1@{app.ManifestDigest}"],
            list.Select(summary => summary.Reference.ToString()));
        Assert.All(list, summary => Assert.Equal(clock.GetUtcNow(), summary.Created));
        var blobs = Path.Combine(dir.StoreRoot, "blobs", "sha256");
        var expectedSize = new FileInfo(Path.Combine(blobs, busybox.ManifestDigest.Hex)).Length
            + new FileInfo(Path.Combine(blobs, busybox.ConfigDigest.Hex)).Length
            + new FileInfo(Path.Combine(blobs, busybox.Layers[0].Digest.Hex)).Length;
        Assert.Equal(expectedSize, list[0].Size);
    }

    [Fact]
    public async Task Index_json_is_an_oci_index_with_the_reference_in_the_ref_name_annotation()
    {
        var store = dir.OpenStore();
        var image = await store.ImportAsync("busybox:1", TarBuilder.SmallRootfs().ToStream());

        using var index = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.StoreRoot, "index.json")));
        var manifest = index.RootElement.GetProperty("manifests")[0];

        Assert.Equal(2, index.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(image.ManifestDigest.ToString(), manifest.GetProperty("digest").GetString());
        Assert.Equal("docker.io/library/busybox:1", manifest.GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString());
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
