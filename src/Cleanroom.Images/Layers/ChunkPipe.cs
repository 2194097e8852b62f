using System.Buffers;
using System.Threading.Channels;

namespace Cleanroom.Images.Layers;

/// <summary>
/// A bounded in-memory pipe between one writer and one reader on different threads: a layer is decompressed on
/// one core while the layer below it is still being written to disk on another. The writer waits when
/// <c>capacityChunks</c> chunks are unread, so memory stays bounded however large the layer. Chunks come from the
/// shared array pool and go back when read.
/// </summary>
internal sealed class ChunkPipe
{
    public const int ChunkBytes = 1 << 20;
    private readonly Channel<(byte[] Chunk, int Count)> channel;

    public ChunkPipe(int capacityChunks)
    {
        channel = Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(capacityChunks)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Reader = new ReadSide(channel.Reader);
    }

    /// <summary>The reading end; it ends when the writer completes, and throws what the writer failed with.</summary>
    public Stream Reader { get; }

    /// <summary>Copies everything <paramref name="source"/> gives into the pipe, then completes it (or fails it with the source's error).</summary>
    public async Task FillAsync(Stream source, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                var count = 0;
                try
                {
                    // Fill whole chunks: decompressors return small reads, and each chunk costs a channel hop.
                    int read;
                    while (count < ChunkBytes && (read = await source.ReadAsync(chunk.AsMemory(count, ChunkBytes - count), cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        count += read;
                    }

                    if (count == 0)
                    {
                        ArrayPool<byte>.Shared.Return(chunk);
                        break;
                    }

                    await channel.Writer.WriteAsync((chunk, count), cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(chunk);
                    throw;
                }

                if (count < ChunkBytes)
                {
                    break;
                }
            }

            channel.Writer.TryComplete();
        }
        catch (Exception e)
        {
            channel.Writer.TryComplete(e);
            throw;
        }
    }

    /// <summary>Ends the pipe with an error the reader will get (the writer could not even start).</summary>
    public void Fail(Exception error) => channel.Writer.TryComplete(error);

    /// <summary>Ends the pipe from the reading side (the reader failed): the writer's next write fails instead of waiting forever.</summary>
    public void Abandon()
    {
        channel.Writer.TryComplete(new OperationCanceledException("the reader of the pipe gave up"));
        while (channel.Reader.TryRead(out var item))
        {
            ArrayPool<byte>.Shared.Return(item.Chunk);
        }
    }

    private sealed class ReadSide(ChannelReader<(byte[] Chunk, int Count)> reader) : ForwardReadStream
    {
        private byte[]? current;
        private int offset;
        private int count;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty || (current is null && !NextChunkAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult()))
            {
                return 0;
            }

            return Take(buffer);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty || (current is null && !await NextChunkAsync(cancellationToken).ConfigureAwait(false)))
            {
                return 0;
            }

            return Take(buffer.Span);
        }

        private async ValueTask<bool> NextChunkAsync(CancellationToken cancellationToken)
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.TryRead(out var item))
                {
                    (current, offset, count) = (item.Chunk, 0, item.Count);
                    return true;
                }
            }

            await reader.Completion.ConfigureAwait(false); // rethrows the writer's failure
            return false;
        }

        private int Take(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, count - offset);
            current.AsSpan(offset, n).CopyTo(buffer);
            offset += n;
            if (offset == count)
            {
                ArrayPool<byte>.Shared.Return(current!);
                current = null;
            }

            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing && current is not null)
            {
                ArrayPool<byte>.Shared.Return(current);
                current = null;
            }

            base.Dispose(disposing);
        }
    }
}
