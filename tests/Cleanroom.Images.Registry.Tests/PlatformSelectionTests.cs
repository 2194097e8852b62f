using Cleanroom.Errors;
using Cleanroom.Images.Registry.Tests.Support;

namespace Cleanroom.Images.Registry.Tests;

/// <summary>Multi-platform image indexes: the host's platform by default, another on request, a clear error for none.</summary>
public sealed class PlatformSelectionTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    private static async Task<(LocalRegistry Registry, Descriptor Index, Descriptor Amd64, Descriptor Arm64)> PushTwoPlatformsAsync(Scratch scratch)
    {
        var registry = await LocalRegistry.StartAsync();
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        var amd64 = layout.AddImage([new LayerBuilder().File("arch", "amd64").Build()], "amd64");
        var arm64 = layout.AddImage([new LayerBuilder().File("arch", "arm64").Build()], "arm64", variant: "v8");
        var index = layout.AddIndex(arm64, amd64);
        layout.Tag("multi", index);
        await registry.PushAsync(layout, "multi", "team/multi", all: true);
        return (registry, index, amd64, arm64);
    }

    [RegistryFact]
    public async Task An_index_resolves_to_the_host_platform_and_the_reference_pins_the_index()
    {
        var (registry, index, amd64, _) = await PushTwoPlatformsAsync(scratch);
        await using var _ = registry;
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, Pulling.Options(registry.Host));

        var image = await puller.PullAsync($"{registry.Host}/team/multi:multi");
        var root = await store.MaterialiseAsync(image.Reference!.ToString());

        Assert.Equal($"{registry.Host}/team/multi:multi@{index.Digest}", image.Reference.ToString());
        Assert.Equal(index.Digest, image.IndexDigest.ToString());
        Assert.Equal(amd64.Digest, image.ManifestDigest.ToString());
        Assert.Equal("amd64", image.Architecture);
        Assert.Equal("amd64", File.ReadAllText(Path.Combine(root, "arch")));
        Assert.Equal(amd64.Digest, store.Resolve($"{registry.Host}/team/multi@{index.Digest}").ManifestDigest.ToString());
    }

    [RegistryFact]
    public async Task A_platform_override_pulls_the_other_manifest_of_the_index()
    {
        var (registry, index, amd64, arm64) = await PushTwoPlatformsAsync(scratch);
        await using var _ = registry;
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, Pulling.Options(registry.Host));

        var image = await puller.PullAsync($"{registry.Host}/team/multi@{index.Digest}", ImagePlatform.Parse("linux/arm64"));
        var root = await store.MaterialiseAsync(image.ManifestDigest.ToString());

        Assert.Equal(arm64.Digest, image.ManifestDigest.ToString());
        Assert.Equal("arm64", image.Architecture);
        Assert.Equal("arm64", File.ReadAllText(Path.Combine(root, "arch")));
        // Only the arm64 manifest was pulled, so resolving the index without a platform finds that one ...
        Assert.Equal(arm64.Digest, store.Resolve($"{registry.Host}/team/multi@{index.Digest}").ManifestDigest.ToString());
        // ... and asking for amd64 says it is not here rather than handing over arm64.
        var missing = Assert.Throws<CleanroomException>(() => store.Resolve($"{registry.Host}/team/multi@{index.Digest}", ImagePlatform.Host));
        Assert.Equal(ErrorCode.NotFound, missing.Code);
        Assert.NotEqual(amd64.Digest, image.ManifestDigest.ToString());
    }

    [RegistryFact]
    public async Task Removing_a_pulled_index_deletes_its_platform_tree_and_every_blob()
    {
        var (registry, index, _, _) = await PushTwoPlatformsAsync(scratch);
        await using var _ = registry;
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, Pulling.Options(registry.Host));
        var image = await puller.PullAsync($"{registry.Host}/team/multi:multi");
        var root = await store.MaterialiseAsync(image.Reference!.ToString());

        var removal = await store.RemoveAsync($"{registry.Host}/team/multi:multi", force: false, isInUse: _ => false);

        Assert.Equal(index.Digest, removal.ManifestDigest.ToString());
        Assert.True(removal.RootfsRemoved);
        Assert.False(Directory.Exists(root));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(scratch.StoreRoot, "blobs", "sha256")));
    }

    [RegistryFact]
    public async Task A_platform_the_index_does_not_offer_fails_naming_the_ones_it_does()
    {
        var (registry, _, _, _) = await PushTwoPlatformsAsync(scratch);
        await using var _ = registry;
        using var puller = Pulling.Puller(scratch.OpenStore(), Pulling.Options(registry.Host));

        var error = await Assert.ThrowsAsync<CleanroomException>(() =>
            puller.PullAsync($"{registry.Host}/team/multi:multi", ImagePlatform.Parse("linux/s390x")));

        Assert.Equal(ErrorCode.PlatformNotFound, error.Code);
        Assert.Contains("linux/s390x", error.Message);
        Assert.Contains("linux/amd64", error.Message);
        Assert.Contains("linux/arm64/v8", error.Message);
    }

    [Theory]
    [InlineData("linux/arm64", "linux", "arm64", "v8", true)]
    [InlineData("linux/arm64", "linux", "arm64", null, true)]
    [InlineData("linux/arm/v7", "linux", "arm", "v6", false)]
    [InlineData("linux/amd64", "windows", "amd64", null, false)]
    public void Platforms_match_as_registries_write_them(string wanted, string os, string architecture, string? variant, bool matches) =>
        Assert.Equal(matches, ImagePlatform.Parse(wanted).Matches(os, architecture, variant));
}
