using Cleanroom.Errors;
using Cleanroom.Images.Layers;
using Cleanroom.Images.Storage;

namespace Cleanroom.Images.Rootfs;

/// <summary>
/// Applies an image's layers to a tree being built, bottom first, while the layers above are already read, hashed
/// and decompressed on other cores: each layer flows blob → digest → decompressor → diff_id → a bounded
/// <see cref="ChunkPipe"/> → the unpacker. Layers are applied strictly in order (whiteouts need the layers below),
/// so only the reading and decompressing run ahead, at most one layer per core, each holding at most
/// <see cref="PipeChunks"/> MiB. A layer's digest and diff_id are compared once it has been applied; the tree is
/// private until the whole build succeeds, so a layer that turns out damaged never becomes visible.
/// </summary>
internal static class LayerPipeline
{
    private const int PipeChunks = 16;

    public static async Task ApplyAsync(
        IReadOnlyList<ImageLayer> layers, Func<ImageLayer, CancellationToken, Task<Stream>> open, LayerUnpacker unpacker, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pipes = layers.Select(_ => new ChunkPipe(PipeChunks)).ToArray();
        var decoded = layers.Select(_ => new TaskCompletionSource<(Digest Blob, Digest DiffId)>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        using var slots = new SemaphoreSlim(Math.Max(2, Environment.ProcessorCount));
        var decoders = new List<Task>();
        var scheduling = Task.Run(async () =>
        {
            // In layer order, so the layer being applied always has a core decoding it.
            for (var i = 0; i < layers.Count; i++)
            {
                await slots.WaitAsync(stop.Token).ConfigureAwait(false);
                var index = i;
                decoders.Add(Task.Run(() => DecodeAsync(layers[index], open, pipes[index], decoded[index], slots, stop.Token)));
            }
        });
        try
        {
            for (var i = 0; i < layers.Count; i++)
            {
                await unpacker.ApplyAsync(pipes[i].Reader, stop.Token).ConfigureAwait(false);
                // The archive's trailing zero blocks belong to the tar too; the decoder hashes them.
                await pipes[i].Reader.CopyToAsync(Stream.Null, stop.Token).ConfigureAwait(false);
                var (blob, diffId) = await decoded[i].Task.WaitAsync(stop.Token).ConfigureAwait(false);
                if (blob != layers[i].Digest || diffId != layers[i].DiffId)
                {
                    throw new CleanroomException(ErrorCode.ImageInvalid,
                        $"layer {layers[i].Digest} is damaged: its content does not match its digest or its diff_id {layers[i].DiffId}");
                }
            }
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var pipe in pipes)
            {
                pipe.Abandon();
            }

            throw;
        }
        finally
        {
            await Quietly(scheduling).ConfigureAwait(false);
            await Quietly(Task.WhenAll(decoders)).ConfigureAwait(false);
        }
    }

    private static async Task DecodeAsync(
        ImageLayer layer, Func<ImageLayer, CancellationToken, Task<Stream>> open, ChunkPipe pipe, TaskCompletionSource<(Digest, Digest)> result, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            using var blob = new HashingStream(await open(layer, cancellationToken).ConfigureAwait(false));
            await using var tar = await LayerCompression.OpenUncompressedAsync(blob, $"layer {layer.Digest}", cancellationToken).ConfigureAwait(false);
            using var uncompressed = new HashingStream(tar, leaveOpen: true);
            await pipe.FillAsync(uncompressed, cancellationToken).ConfigureAwait(false);
            // Bytes after the compressed stream's end are part of the blob, and of its digest.
            await blob.CopyToAsync(Stream.Null, ChunkPipe.ChunkBytes, cancellationToken).ConfigureAwait(false);
            result.TrySetResult((blob.Finish(), uncompressed.Finish()));
        }
        catch (Exception e)
        {
            pipe.Fail(e);
            result.TrySetException(e);
        }
        finally
        {
            slots.Release();
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The failure that matters was already thrown to the caller.
        }
    }
}
