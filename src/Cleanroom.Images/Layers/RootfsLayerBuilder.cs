using System.IO.Compression;
using Cleanroom.Images.Oci;
using Cleanroom.Images.Storage;

namespace Cleanroom.Images.Layers;

/// <summary>
/// Turns a rootfs tarball (.tar or .tar.gz) into a staged, gzip-compressed layer blob in one pass: the
/// uncompressed tar flows through the safety check, the diff_id hash and a gzip compressor at once. The gzip
/// output is deterministic (header mtime 0, no file name, fixed level), so the same tar gives the same digest
/// with the same .NET build; a refused tarball leaves no blob and no temporary file.
/// </summary>
internal static class RootfsLayerBuilder
{
    public sealed record BuiltLayer(StagedBlob Blob, Digest DiffId, string MediaType) : IDisposable
    {
        public void Dispose() => Blob.Dispose();
    }

    public static async Task<BuiltLayer> BuildAsync(Stream rootfs, BlobStore blobs, CancellationToken cancellationToken)
    {
        await using var tar = await LayerCompression.OpenUncompressedAsync(
            new NonDisposingStream(rootfs), "rootfs tarball", cancellationToken).ConfigureAwait(false);
        Digest? diffId = null;
        var blob = await blobs.StageAsync(async (blobStream, ct) =>
        {
            await using (var gzip = new GZipStream(blobStream, CompressionLevel.Optimal, leaveOpen: true))
            {
                using var uncompressed = new HashingStream(gzip, leaveOpen: true);
                var tee = new TeeReadStream(tar, uncompressed);
                await foreach (var entry in LayerEntryReader.ReadAsync(tee, LayerReadRules.RootfsImport, ct).ConfigureAwait(false))
                {
                    // Reading the entries is the check; file contents flow through to the sink as the reader skips them.
                    _ = entry;
                }

                // The archive's trailing zero blocks and padding belong to the tar too.
                await tee.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
                diffId = uncompressed.Finish();
            }
        }, cancellationToken).ConfigureAwait(false);
        return new BuiltLayer(blob, diffId!.Value, OciMediaTypes.LayerTarGzip);
    }

    /// <summary>The caller owns the rootfs stream; the decompressor must not close it.</summary>
    private sealed class NonDisposingStream(Stream inner) : ForwardReadStream
    {
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);
    }
}
