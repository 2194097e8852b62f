using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Cleanroom.Errors;

namespace Cleanroom.Images.Tests;

public sealed class ImageImportTests : IDisposable
{
    private readonly TestDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task Import_returns_a_reference_pinned_to_the_manifest_digest()
    {
        var store = dir.OpenStore();

        var image = await store.ImportAsync("cleanroom/busybox:1", TarBuilder.SmallRootfs().ToStream());

        Assert.Equal($"docker.io/cleanroom/busybox:1@{image.ManifestDigest}", image.Reference!.ToString());
        Assert.Matches("^sha256:[0-9a-f]{64}$", image.ManifestDigest.ToString());
        Assert.True(File.Exists(Path.Combine(dir.StoreRoot, "blobs", "sha256", image.ManifestDigest.Hex)));
        Assert.Equal("""{"imageLayoutVersion":"1.0.0"}""", File.ReadAllText(Path.Combine(dir.StoreRoot, "oci-layout")));
    }

    [Fact]
    public async Task Importing_the_same_tarball_twice_gives_the_same_digest_even_in_another_store_or_gzipped()
    {
        var tar = TarBuilder.SmallRootfs();
        var first = await dir.OpenStore().ImportAsync("a", new MemoryStream(tar.ToTar()));
        var again = await dir.OpenStore().ImportAsync("b", new MemoryStream(tar.ToTar()));
        using var other = new TestDirectory();
        var gzipped = await other.OpenStore().ImportAsync("c", new MemoryStream(tar.ToTarGz()));

        Assert.Equal(first.ManifestDigest, again.ManifestDigest);
        Assert.Equal(first.ManifestDigest, gzipped.ManifestDigest);
        Assert.Equal(first.Layers[0].DiffId, gzipped.Layers[0].DiffId);
    }

    [Fact]
    public async Task A_different_tarball_gives_a_different_digest()
    {
        var store = dir.OpenStore();

        var one = await store.ImportAsync("a", TarBuilder.SmallRootfs("one").ToStream());
        var two = await store.ImportAsync("b", TarBuilder.SmallRootfs("two").ToStream());

        Assert.NotEqual(one.ManifestDigest, two.ManifestDigest);
    }

    [Fact]
    public async Task The_layer_is_a_deterministic_gzip_of_the_tar_with_the_diff_id_of_the_uncompressed_tar()
    {
        var tar = TarBuilder.SmallRootfs().ToTar();
        var image = await dir.OpenStore().ImportAsync("a", new MemoryStream(tar));

        var layer = image.Layers.Single();
        var blob = File.ReadAllBytes(Path.Combine(dir.StoreRoot, "blobs", "sha256", layer.Digest.Hex));
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", layer.MediaType);
        Assert.Equal(new byte[] { 0x1f, 0x8b, 0x08 }, blob[..3]);
        Assert.Equal(0, blob[3]);                       // FLG: no file name, no comment, no extra field
        Assert.Equal(new byte[4], blob[4..8]);          // MTIME: 0
        Assert.Equal($"sha256:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(tar))}", layer.DiffId.ToString());
        using var decompressed = new MemoryStream();
        new GZipStream(new MemoryStream(blob), CompressionMode.Decompress).CopyTo(decompressed);
        Assert.Equal(tar, decompressed.ToArray());
    }

    [Fact]
    public async Task The_image_config_records_the_given_runtime_settings_and_resolve_returns_them()
    {
        var config = new ImageConfig
        {
            Env = ["PATH=/bin", "LANG=C.UTF-8"],
            Entrypoint = ["/bin/tool"],
            Cmd = ["--verbose"],
            WorkingDir = "/workspace",
            User = "1000:1000",
        };
        var store = dir.OpenStore();

        await store.ImportAsync("tool:1", TarBuilder.SmallRootfs().ToStream(), config);
        var image = store.Resolve("tool:1");

        Assert.Equal(config, image.Config);
        Assert.Equal("amd64", image.Architecture);
        Assert.Equal("linux", image.Os);
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.StoreRoot, "blobs", "sha256", image.ConfigDigest.Hex)));
        Assert.Equal("/workspace", document.RootElement.GetProperty("config").GetProperty("WorkingDir").GetString());
        Assert.Equal(image.Layers[0].DiffId.ToString(), document.RootElement.GetProperty("rootfs").GetProperty("diff_ids")[0].GetString());
    }

    [Fact]
    public async Task Without_settings_an_image_gets_the_default_path_and_a_shell()
    {
        var store = dir.OpenStore();

        var image = await store.ImportAsync("plain", TarBuilder.SmallRootfs().ToStream());

        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], image.Config.Env);
        Assert.Equal(["/bin/sh"], image.Config.Cmd);
        Assert.Equal("/", image.Config.WorkingDir);
        Assert.Equal("", image.Config.User);
    }

    [Fact]
    public async Task A_reference_naming_another_digest_than_the_tarball_makes_is_refused_and_nothing_is_recorded()
    {
        var store = dir.OpenStore();
        var wrong = "sha256:" + new string('0', 64);

        var error = await Assert.ThrowsAsync<CleanroomException>(() => store.ImportAsync($"app@{wrong}", TarBuilder.SmallRootfs().ToStream()));

        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.Contains(wrong, error.Message);
        Assert.Empty(store.List());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.StoreRoot, "blobs", "sha256")));
    }

    [Fact]
    public async Task A_reference_naming_the_right_digest_is_recorded_under_that_digest()
    {
        var store = dir.OpenStore();
        var digest = (await store.ImportAsync("probe", TarBuilder.SmallRootfs().ToStream())).ManifestDigest;

        var image = await store.ImportAsync($"ghcr.io/me/app@{digest}", TarBuilder.SmallRootfs().ToStream());

        Assert.Equal($"ghcr.io/me/app@{digest}", image.Reference!.ToString());
        Assert.Contains(store.List(), summary => summary.Reference.ToString() == $"ghcr.io/me/app@{digest}");
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0 }, "zstd")]
    public async Task Input_that_is_not_a_usable_tarball_is_refused(byte[] input, string reason)
    {
        var error = await Assert.ThrowsAsync<CleanroomException>(() => dir.OpenStore().ImportAsync("x", new MemoryStream(input)));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public async Task Garbage_is_refused_as_an_invalid_tar()
    {
        var garbage = new byte[2048];
        new Random(7).NextBytes(garbage);
        garbage[0] = 0x42;

        var error = await Assert.ThrowsAsync<CleanroomException>(() => dir.OpenStore().ImportAsync("x", new MemoryStream(garbage)));

        Assert.Equal(ErrorCode.ImageInvalid, error.Code);
    }

    [Fact]
    public async Task A_fifo_is_accepted_because_it_grants_access_to_nothing()
    {
        var tar = new TarBuilder().Directory("run").Fifo("run/pipe").ToStream();

        var image = await dir.OpenStore().ImportAsync("fifo", tar);

        Assert.Single(image.Layers);
    }

    [Fact]
    public async Task A_setgid_directory_is_kept_because_it_only_passes_its_group_on()
    {
        var tar = new TarBuilder().Directory("var").Directory("var/mail", (UnixFileMode)0b10_111_111_101).ToStream();
        var store = dir.OpenStore();
        var image = await store.ImportAsync("mail", tar);

        var root = await store.MaterialiseAsync(image.ManifestDigest.ToString());

        Assert.True(File.GetUnixFileMode(Path.Combine(root, "var/mail")).HasFlag(UnixFileMode.SetGroup));
    }

    [Fact]
    public async Task Pax_global_headers_are_ignored()
    {
        var tar = new TarBuilder()
            .Add(new PaxGlobalExtendedAttributesTarEntry(new Dictionary<string, string> { ["comment"] = "made by a test" }))
            .Directory("etc")
            .ToStream();

        var image = await dir.OpenStore().ImportAsync("global", tar);

        Assert.Single(image.Layers);
    }
}
