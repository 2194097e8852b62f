using ZstdSharp;

namespace Cleanroom.Images.Layers;

/// <summary>
/// Decompresses a zstd stream, reporting damaged data as <see cref="InvalidDataException"/> (what gzip throws),
/// so the tar reader turns either into one image_invalid error that names zstd.
/// </summary>
internal sealed class ZstdDecompressingStream(Stream compressed) : ForwardReadStream
{
    private readonly DecompressionStream inner = new(compressed, leaveOpen: false);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return inner.Read(buffer);
        }
        catch (Exception e) when (e is ZstdException or EndOfStreamException)
        {
            throw Damaged(e);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ZstdException or EndOfStreamException)
        {
            throw Damaged(e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    // EndOfStreamException: the input ended inside a frame (a truncated blob).
    private static InvalidDataException Damaged(Exception e) => new($"zstd data is damaged: {e.Message}", e);
}
