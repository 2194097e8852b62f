using Cleanroom.Errors;

namespace Cleanroom.Images.Tests;

public sealed class StoreCrashSafetyTests : IDisposable
{
    private readonly TestDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private void AssertNoBlobAndNoTemporaryFile()
    {
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.StoreRoot, "blobs", "sha256")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.StoreRoot, "tmp")));
    }

    [Fact]
    public async Task An_import_refused_after_much_was_written_leaves_no_blob_and_no_temporary_file()
    {
        var store = dir.OpenStore();
        var tar = new TarBuilder()
            .File("big", new string('x', 1 << 20))
            .File("usr/bin/su", "", (UnixFileMode)0b100_111_101_101)
            .ToStream();

        await Assert.ThrowsAsync<CleanroomException>(() => store.ImportAsync("bad", tar));

        AssertNoBlobAndNoTemporaryFile();
        Assert.Empty(store.List());
    }

    [Fact]
    public async Task An_input_stream_that_fails_midway_leaves_no_blob_and_no_temporary_file()
    {
        var store = dir.OpenStore();
        var tar = new TarBuilder().File("big", new string('x', 1 << 20)).ToTar();

        await Assert.ThrowsAsync<IOException>(() => store.ImportAsync("broken", new FailingStream(tar, failAfter: 300_000)));

        AssertNoBlobAndNoTemporaryFile();
    }

    [Fact]
    public async Task A_cancelled_import_leaves_no_blob_and_no_temporary_file()
    {
        var store = dir.OpenStore();
        using var cancellation = new CancellationTokenSource();
        var tar = new TarBuilder().File("big", new string('x', 1 << 20)).ToTar();
        var input = new FailingStream(tar, failAfter: 300_000, onLimit: cancellation.Cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ImportAsync("cancelled", input, cancellationToken: cancellation.Token));

        AssertNoBlobAndNoTemporaryFile();
    }

    [Fact]
    public async Task A_truncated_tarball_is_refused_without_leaving_anything()
    {
        var store = dir.OpenStore();
        var tar = new TarBuilder().File("big", new string('x', 100_000)).ToTar();

        await Assert.ThrowsAsync<CleanroomException>(() => store.ImportAsync("truncated", new MemoryStream(tar[..50_000])));

        AssertNoBlobAndNoTemporaryFile();
    }

    [Fact]
    public async Task Concurrent_imports_through_two_store_instances_all_land_in_index_json()
    {
        var stores = new[] { dir.OpenStore(), dir.OpenStore() };

        var imports = Enumerable.Range(0, 12).Select(i => Task.Run(() =>
            stores[i % 2].ImportAsync($"app:v{i}", TarBuilder.SmallRootfs($"image {i}").ToStream())));
        var images = await Task.WhenAll(imports);

        var list = dir.OpenStore().List();
        Assert.Equal(12, list.Count);
        foreach (var image in images)
        {
            Assert.Equal(image.ManifestDigest, stores[0].Resolve(image.Reference!.ToString()).ManifestDigest);
        }
    }

    [Fact]
    public async Task Removal_running_beside_imports_never_collects_a_blob_an_import_recorded()
    {
        var store = dir.OpenStore();
        await store.ImportAsync("victim", TarBuilder.SmallRootfs("victim").ToStream());

        var work = new List<Task>();
        work.AddRange(Enumerable.Range(0, 6).Select(i => Task.Run(() => store.ImportAsync($"app:v{i}", TarBuilder.SmallRootfs($"{i}").ToStream()))));
        work.Add(Task.Run(() => store.RemoveAsync("victim", force: false, _ => false)));
        await Task.WhenAll(work);

        foreach (var summary in store.List())
        {
            var image = store.Resolve(summary.Reference.ToString());
            Assert.All(image.Layers, layer => Assert.True(File.Exists(Path.Combine(dir.StoreRoot, "blobs", "sha256", layer.Digest.Hex))));
        }
    }

    /// <summary>Serves a buffer, then fails (or cancels) once a number of bytes were read.</summary>
    private sealed class FailingStream(byte[] content, int failAfter, Action? onLimit = null) : Stream
    {
        private readonly MemoryStream inner = new(content);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => inner.Position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (inner.Position >= failAfter)
            {
                if (onLimit is null)
                {
                    throw new IOException("the disk went away");
                }

                onLimit();
            }

            return inner.Read(buffer, offset, Math.Min(count, 8192));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            var read = Read(buffer, offset, count);
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(read);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var chunk = new byte[Math.Min(buffer.Length, 8192)];
            var read = Read(chunk, 0, chunk.Length);
            cancellationToken.ThrowIfCancellationRequested();
            chunk.AsSpan(0, read).CopyTo(buffer.Span);
            return ValueTask.FromResult(read);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
