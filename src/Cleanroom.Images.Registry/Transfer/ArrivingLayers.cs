using System.Collections.Concurrent;
using System.Text.Json;

namespace Cleanroom.Images.Registry.Transfer;

/// <summary>
/// Hands each layer of a pull to the unpacker as it downloads: a layer the store already holds is read from there;
/// a layer being downloaded is read through <see cref="IncomingBlob.Follow"/> of its download, from the moment
/// the download opens its file. A layer whose download started over is not followed again: the unpacker then
/// fails, and the pull unpacks from the verified blobs afterwards instead.
/// </summary>
internal sealed class ArrivingLayers : IAsyncDisposable
{
    private readonly ImageIntake intake;
    private readonly HashSet<Digest> present;
    private readonly ConcurrentDictionary<Digest, TaskCompletionSource<Stream>> downloading = new();

    private ArrivingLayers(ImageIntake intake, IReadOnlyList<ImageLayer> layers)
    {
        this.intake = intake;
        Layers = layers;
        present = layers.Select(layer => layer.Digest).Where(intake.Holds).ToHashSet();
        foreach (var layer in layers.Where(layer => !present.Contains(layer.Digest)))
        {
            downloading[layer.Digest] = new TaskCompletionSource<Stream>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public IReadOnlyList<ImageLayer> Layers { get; }

    /// <summary>
    /// The layers with their diff_ids from the image's config (which arrived first), or null when they cannot be
    /// streamed (a layer listed twice, or a config that does not match the manifest: the commit will say why).
    /// </summary>
    public static ArrivingLayers? TryCreate(ImageIntake intake, Digest config, IReadOnlyList<(Digest Digest, long Size, string Kind)> layers)
    {
        if (layers.Select(layer => layer.Digest).Distinct().Count() != layers.Count)
        {
            return null;
        }

        using var configStream = intake.OpenArrived(config);
        using var document = JsonDocument.Parse(configStream);
        if (!document.RootElement.TryGetProperty("rootfs", out var rootfs) || !rootfs.TryGetProperty("diff_ids", out var diffIds)
            || diffIds.ValueKind != JsonValueKind.Array || diffIds.GetArrayLength() != layers.Count)
        {
            return null;
        }

        var described = new List<ImageLayer>();
        foreach (var (layer, diffId) in layers.Zip(diffIds.EnumerateArray()))
        {
            if (!Digest.TryParse(diffId.GetString() ?? "", out var parsed, out _))
            {
                return null;
            }

            described.Add(new ImageLayer(layer.Digest, parsed, "", layer.Size));
        }

        return new ArrivingLayers(intake, described);
    }

    /// <summary>Called by the downloader each time it opens a layer's download.</summary>
    public void Opened(IncomingBlob incoming)
    {
        if (downloading.TryGetValue(incoming.Digest, out var source) && !source.Task.IsCompleted)
        {
            source.TrySetResult(incoming.Follow());
        }
    }

    /// <summary>The layer's bytes for the unpacker.</summary>
    public async Task<Stream> OpenAsync(ImageLayer layer, CancellationToken cancellationToken) =>
        present.Contains(layer.Digest)
            ? intake.OpenArrived(layer.Digest)
            : await downloading[layer.Digest].Task.WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>After the downloads: a layer that was never opened for download (found present meanwhile) cannot be followed.</summary>
    public void EndOfDownloads()
    {
        foreach (var source in downloading.Values)
        {
            source.TrySetException(new IOException("the layer was not downloaded by this pull"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Followers the unpacker never took still hold their download's file handle.
        foreach (var source in downloading.Values)
        {
            if (source.Task.IsCompletedSuccessfully)
            {
                await source.Task.Result.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
