using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Cleanroom.Errors;
using Cleanroom.Images.Registry.Tests.Support;

namespace Cleanroom.Images.Registry.Tests;

/// <summary>Damaged bytes, broken connections and unreachable or misconfigured registries.</summary>
public sealed class TransferFaultTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    private async Task<(LocalRegistry Registry, BuiltLayer Big)> StartWithBigLayerAsync()
    {
        var registry = await LocalRegistry.StartAsync();
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        var big = new LayerBuilder().File("payload", RandomNumberGenerator.GetBytes(3_000_000)).Build();
        layout.Tag("1", layout.AddImage([new LayerBuilder().File("small", "s").Build(), big]));
        await registry.PushAsync(layout, "1", "team/big");
        return (registry, big);
    }

    [RegistryFact]
    public async Task A_blob_whose_bytes_do_not_match_its_digest_is_refused_and_nothing_is_kept()
    {
        var (registry, big) = await StartWithBigLayerAsync();
        await using var _ = registry;
        await using var proxy = await FaultProxy.StartAsync(registry.Host);
        proxy.CorruptBlob = big.Digest;
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, Pulling.Options(proxy.Host));

        var error = await Assert.ThrowsAsync<CleanroomException>(() => puller.PullAsync($"{proxy.Host}/team/big:1"));

        Assert.Equal(ErrorCode.DigestMismatch, error.Code);
        Assert.Contains(big.Digest, error.Message);
        Assert.Empty(store.List());
        var hex = big.Digest["sha256:".Length..];
        Assert.False(File.Exists(Path.Combine(scratch.StoreRoot, "blobs", "sha256", hex)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(scratch.StoreRoot, "tmp"), hex + "*"));
        Assert.Equal(ErrorCode.NotFound, Assert.Throws<CleanroomException>(() => store.Resolve($"{proxy.Host}/team/big:1")).Code);
    }

    [RegistryFact]
    public async Task A_download_cut_off_midway_resumes_from_the_partial_file_with_a_range_request()
    {
        var (registry, big) = await StartWithBigLayerAsync();
        await using var _ = registry;
        await using var proxy = await FaultProxy.StartAsync(registry.Host);
        proxy.CutBlob = big.Digest;
        proxy.CutAfterBytes = 1_000_000;
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, Pulling.Options(proxy.Host));

        var image = await puller.PullAsync($"{proxy.Host}/team/big:1");
        var root = await store.MaterialiseAsync(image.Reference!.ToString());

        var blobRequests = proxy.Requests.Where(request => request.Method == "GET" && request.Path.EndsWith(big.Digest, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, blobRequests.Count);
        Assert.Null(blobRequests[0].Range);
        Assert.StartsWith("bytes=", blobRequests[1].Range);
        var resumedAt = long.Parse(blobRequests[1].Range!["bytes=".Length..].TrimEnd('-'));
        Assert.InRange(resumedAt, 1, 1_000_000);
        Assert.Equal(3_000_000, new FileInfo(Path.Combine(root, "payload")).Length);
    }

    [RegistryFact]
    public async Task A_registry_nobody_listens_on_is_unreachable()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        using var puller = Pulling.Puller(scratch.OpenStore(), Pulling.Options($"127.0.0.1:{port}") with { MaxRetries = 1 });

        var error = await Assert.ThrowsAsync<CleanroomException>(() => puller.PullAsync($"127.0.0.1:{port}/team/app:1"));

        Assert.Equal(ErrorCode.RegistryUnreachable, error.Code);
        Assert.Contains($"127.0.0.1:{port}", error.Message);
    }

    [RegistryFact]
    public async Task A_plain_http_registry_not_listed_as_insecure_is_spoken_to_over_https_only()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var puller = Pulling.Puller(scratch.OpenStore(), Pulling.Options() with { MaxRetries = 0 });

        var error = await Assert.ThrowsAsync<CleanroomException>(() => puller.PullAsync($"{registry.Host}/team/app:1"));

        Assert.Equal(ErrorCode.RegistryUnreachable, error.Code);
        Assert.Contains("https://", error.Message);
        Assert.Contains("images.insecure_registries", error.Message);
    }
}
