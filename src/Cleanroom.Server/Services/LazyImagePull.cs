using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Cleanroom.Images;
using Cleanroom.Images.Registry;
using Cleanroom.Telemetry;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Services;

/// <summary>
/// Makes sure a sandbox's digest-pinned image is in the server's store before the backend needs it: an image that
/// is missing is pulled from its registry (the digest is verified, so what runs is exactly what the policy pins)
/// while the sandbox is PROVISIONING, and the pull's progress goes on the sandbox's event stream as
/// <c>image.pull</c> events. A failed pull fails the sandbox with the pull's code.
/// </summary>
internal sealed class LazyImagePull(ImageStore store, ImagePuller puller, SandboxControl control, ILogger<LazyImagePull> logger)
{
    public async Task EnsurePresentAsync(string sandboxId, string pinnedReference, CancellationToken cancellationToken)
    {
        try
        {
            store.Resolve(pinnedReference);
            CleanroomMetrics.ImageCacheRequests.Add(1, CleanroomMetrics.Hit(true));
            return;
        }
        catch (CleanroomException e) when (e.Code == ErrorCode.NotFound)
        {
            // Not here yet: pull it below.
        }

        CleanroomMetrics.ImageCacheRequests.Add(1, CleanroomMetrics.Hit(false));
        using var span = CleanroomTelemetry.StartSpan("image.pull", sandboxId);
        span?.SetTag(TelemetryTags.ImageRef, pinnedReference);
        var events = new ImagePullEvents(
            payload => control.RecordEvent(sandboxId, SandboxEventTypes.ImagePull, payload), pinnedReference, TimeProvider.System);
        events.Started();
        logger.LogInformation("sandbox {SandboxId}: pulling image {Image}", sandboxId, pinnedReference);
        // Unpacked as it downloads, so the backend finds the tree ready.
        var image = await puller.PullAndUnpackAsync(pinnedReference, null, events, cancellationToken).ConfigureAwait(false);
        events.Finished(image);
        span?.SetTag("cleanroom.image.bytes", image.Size);
        logger.LogInformation("sandbox {SandboxId}: pulled image {Image} ({Layers} layers, {Bytes} bytes)", sandboxId, image.Reference, image.Layers.Count, image.Size);
    }
}
