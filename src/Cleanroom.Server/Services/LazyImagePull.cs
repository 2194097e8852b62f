using System.Diagnostics;
using Cleanroom.Errors;
using Cleanroom.Images;
using Cleanroom.Images.Registry;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Services;

/// <summary>
/// Makes sure a sandbox's digest-pinned image is in the server's store before the backend needs it: an image that
/// is missing is pulled from its registry (the digest is verified, so what runs is exactly what the policy pins).
/// Returns a one-line summary of the pull for the sandbox's event stream, or null when nothing had to be pulled.
/// </summary>
internal sealed class LazyImagePull(ImageStore store, ImagePuller puller, ILogger<LazyImagePull> logger)
{
    public async Task<string?> EnsurePresentAsync(string pinnedReference, CancellationToken cancellationToken)
    {
        try
        {
            store.Resolve(pinnedReference);
            return null;
        }
        catch (CleanroomException e) when (e.Code == ErrorCode.NotFound)
        {
            // Not here yet: pull it below.
        }

        var clock = Stopwatch.StartNew();
        long lastLogged = 0;
        var progress = new Progress<PullProgress>(p =>
        {
            if (p.Stage == PullStage.Verified || p.BytesDone - Interlocked.Read(ref lastLogged) >= 16 << 20)
            {
                Interlocked.Exchange(ref lastLogged, p.BytesDone);
                logger.LogInformation("pulling {Image}: {Kind} {Blob} {Done}/{Total} bytes {Stage}", pinnedReference, p.Kind, p.Blob, p.BytesDone, p.BytesTotal, p.Stage);
            }
        });
        var image = await puller.PullAsync(pinnedReference, null, progress, cancellationToken);
        var summary = $"pulled image {image.Reference} ({image.Layers.Count} layers, {image.Size} bytes) in {clock.Elapsed.TotalSeconds:0.0} s";
        logger.LogInformation("{Summary}", summary);
        return summary;
    }
}
