using System.Security.Cryptography;

namespace Cleanroom.Images.Tests;

/// <summary>
/// Unpacking layers while their blobs are still being written: nothing is put in place before every blob is
/// verified, and a download that starts over or turns out damaged leaves no tree.
/// </summary>
public sealed class UnpackWhileArrivingTests : IDisposable
{
    private readonly TestDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static (byte[] Blob, ImageLayer Layer) Layer(TarBuilder tar)
    {
        var bytes = tar.ToTarGz();
        var diffId = Digest.Parse("sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar.ToTar())));
        return (bytes, new ImageLayer(Digest.Parse("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes))), diffId, "", bytes.Length));
    }

    private static readonly Digest Manifest = Digest.Parse("sha256:" + new string('e', 64));

    [Fact]
    public async Task The_tree_appears_only_once_the_arriving_blob_is_verified_and_holds_its_files()
    {
        var store = dir.OpenStore();
        var (blob, layer) = Layer(new TarBuilder().Directory("etc").File("etc/hello", "arrived"));
        using var intake = store.BeginIntake();
        var incoming = await intake.OpenBlobAsync(layer.Digest, layer.Size);
        var follower = incoming.Follow();

        var unpacking = intake.UnpackWhileArrivingAsync(Manifest, [layer], (_, _) => Task.FromResult(follower));
        await incoming.WriteAsync(blob.AsMemory(0, blob.Length / 2));
        await incoming.WriteAsync(blob.AsMemory(blob.Length / 2));

        Assert.False(unpacking.IsCompleted, "every byte arrived, but the blob is not verified yet");
        Assert.False(Directory.Exists(Path.Combine(dir.CacheRoot, Manifest.Hex)));
        await incoming.CompleteAsync();
        await incoming.DisposeAsync();
        var root = await unpacking;

        Assert.Equal(Path.Combine(dir.CacheRoot, Manifest.Hex), root);
        Assert.Equal("arrived", await File.ReadAllTextAsync(Path.Combine(root, "etc/hello")));
    }

    [Fact]
    public async Task A_download_that_starts_over_fails_the_unpacking_and_leaves_no_tree()
    {
        var store = dir.OpenStore();
        var (blob, layer) = Layer(new TarBuilder().File("big", new string('x', 200_000)));
        using var intake = store.BeginIntake();
        var incoming = await intake.OpenBlobAsync(layer.Digest, layer.Size);
        var unpacking = intake.UnpackWhileArrivingAsync(Manifest, [layer], (_, _) => Task.FromResult(incoming.Follow()));

        await incoming.WriteAsync(blob.AsMemory(0, blob.Length / 2));
        incoming.Restart();
        await incoming.WriteAsync(blob);
        await incoming.CompleteAsync();
        await incoming.DisposeAsync();

        await Assert.ThrowsAsync<IOException>(() => unpacking);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.CacheRoot));
    }

    [Fact]
    public async Task A_blob_that_fails_verification_fails_the_unpacking_and_leaves_no_tree()
    {
        var store = dir.OpenStore();
        var (blob, layer) = Layer(new TarBuilder().File("file", "content"));
        var claimed = layer with { Digest = Digest.Parse("sha256:" + new string('0', 64)) };
        using var intake = store.BeginIntake();
        var incoming = await intake.OpenBlobAsync(claimed.Digest, claimed.Size);
        var unpacking = intake.UnpackWhileArrivingAsync(Manifest, [claimed], (_, _) => Task.FromResult(incoming.Follow()));

        await incoming.WriteAsync(blob);
        await Assert.ThrowsAsync<Cleanroom.Errors.CleanroomException>(() => incoming.CompleteAsync());
        await incoming.DisposeAsync();

        await Assert.ThrowsAnyAsync<Exception>(() => unpacking);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.CacheRoot));
    }
}
