using System.Globalization;
using System.Text.Json.Nodes;
using Cleanroom.ControlPlane;
using Cleanroom.Images;
using Cleanroom.Images.Registry;

namespace Cleanroom.Server.Services;

/// <summary>
/// Turns one pull's progress into <c>image.pull</c> events on the stream of the sandbox waiting for it: when it
/// starts, what the manifest holds, each layer as it is verified (or found present), overall progress, and the end.
/// Progress is throttled twice — at most one event per <see cref="ProgressInterval"/> and only after another tenth of
/// the bytes — so a pull of any size records at most about ten progress events, plus one per layer.
/// </summary>
internal sealed class ImagePullEvents(Action<string> record, string image, TimeProvider clock) : IProgress<PullProgress>
{
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);
    private readonly Lock gate = new();
    private readonly List<Digest> layers = [];
    private readonly Dictionary<Digest, (long Done, long Total)> blobs = [];
    private readonly HashSet<Digest> layersDone = [];
    private readonly long startedAt = clock.GetTimestamp();
    private bool planned;
    private long lastProgressAt;
    private long lastProgressBytes;

    /// <summary>Records that the pull begins (before the first request, so a slow registry is visible).</summary>
    public void Started() => Record("started", $"pulling image {image}");

    /// <summary>Records the end of a pull that succeeded.</summary>
    public void Finished(StoredImage pulled)
    {
        var seconds = clock.GetElapsedTime(startedAt).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        lock (gate)
        {
            Record("finished", $"pulled image {pulled.Reference ?? (object)pulled.ManifestDigest} ({pulled.Layers.Count} layers, {Megabytes(pulled.Size)}) in {seconds} s",
                Done(), Total());
        }
    }

    public void Report(PullProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (gate)
        {
            if (value.Stage == PullStage.Queued)
            {
                if (value.Kind == "layer" && !blobs.ContainsKey(value.Blob))
                {
                    layers.Add(value.Blob);
                }

                blobs.TryAdd(value.Blob, (0, value.BytesTotal));
                return;
            }

            if (!planned)
            {
                // Every blob was queued before the first download began.
                planned = true;
                lastProgressAt = clock.GetTimestamp();
                Record("planned", $"image {image}: {layers.Count} layers, {Megabytes(Total())}", 0, Total());
            }

            var done = value.Stage == PullStage.Downloading ? value.BytesDone : value.BytesTotal;
            blobs[value.Blob] = (done, value.BytesTotal);
            if (value.Stage != PullStage.Downloading && value.Kind == "layer" && layersDone.Add(value.Blob))
            {
                var number = layers.IndexOf(value.Blob) + 1;
                var what = value.Stage == PullStage.Present ? "already present" : $"{Megabytes(value.BytesTotal)} verified";
                Record("layer", $"layer {number} of {layers.Count} ({value.Blob.ToString()[..19]}) {what}", Done(), Total());
                return;
            }

            var total = Total();
            var bytes = Done();
            if (bytes < total && bytes - lastProgressBytes >= total / 10 && clock.GetElapsedTime(lastProgressAt) >= ProgressInterval)
            {
                lastProgressAt = clock.GetTimestamp();
                lastProgressBytes = bytes;
                Record("progress", $"downloaded {Megabytes(bytes)} of {Megabytes(total)} ({layersDone.Count} of {layers.Count} layers done)", bytes, total);
            }
        }
    }

    private long Done() => blobs.Values.Sum(blob => blob.Done);

    private long Total() => blobs.Values.Sum(blob => blob.Total);

    private void Record(string stage, string message, long? bytesDone = null, long? bytesTotal = null)
    {
        var payload = new JsonObject { ["stage"] = stage, ["image"] = image, ["message"] = message };
        if (bytesDone is not null)
        {
            payload["bytes_done"] = bytesDone;
            payload["bytes_total"] = bytesTotal;
            payload["layers_done"] = layersDone.Count;
            payload["layers_total"] = layers.Count;
        }

        record(payload.ToJsonString());
    }

    private static string Megabytes(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " MB";
}
