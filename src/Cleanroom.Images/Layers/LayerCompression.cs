using System.IO.Compression;
using Cleanroom.Errors;

namespace Cleanroom.Images.Layers;

/// <summary>
/// Opens a tarball that may be gzip-compressed, deciding by its first bytes rather than by a file name or a
/// media type (either can lie). Registries serve gzip, zstd and uncompressed layers; all three are read.
/// </summary>
internal static class LayerCompression
{
    private static readonly byte[] GzipMagic = [0x1f, 0x8b];
    private static readonly byte[] ZstdMagic = [0x28, 0xb5, 0x2f, 0xfd];

    /// <summary>Returns a stream of the uncompressed tar; disposing it disposes <paramref name="input"/>.</summary>
    public static async Task<Stream> OpenUncompressedAsync(Stream input, string what, CancellationToken cancellationToken)
    {
        var head = new byte[ZstdMagic.Length];
        var filled = 0;
        while (filled < head.Length)
        {
            var read = await input.ReadAsync(head.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        if (filled == 0)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, $"{what} is empty; expected a .tar, .tar.gz or .tar.zst");
        }

        var whole = new PrefixedStream(head.AsMemory(0, filled), input);
        if (head.AsSpan(0, filled).StartsWith(GzipMagic))
        {
            return new GZipStream(whole, CompressionMode.Decompress);
        }

        if (head.AsSpan(0, filled).StartsWith(ZstdMagic))
        {
            return new ZstdDecompressingStream(whole);
        }

        return whole;
    }

    /// <summary>Gives back the bytes read to sniff the format, then the rest of the stream.</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : ForwardReadStream
    {
        private ReadOnlyMemory<byte> remaining = prefix;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (remaining.IsEmpty)
            {
                return rest.Read(buffer);
            }

            var count = Math.Min(buffer.Length, remaining.Length);
            remaining.Span[..count].CopyTo(buffer);
            remaining = remaining[count..];
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (remaining.IsEmpty)
            {
                return rest.ReadAsync(buffer, cancellationToken);
            }

            return ValueTask.FromResult(Read(buffer.Span));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                rest.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
