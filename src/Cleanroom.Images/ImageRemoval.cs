namespace Cleanroom.Images;

/// <summary>What <see cref="ImageStore.RemoveAsync"/> did.</summary>
/// <param name="RemovedReferences">References taken out of the table.</param>
/// <param name="DeletedBlobs">Blobs garbage-collected because nothing referenced them any more.</param>
/// <param name="RootfsRemoved">Whether the image's unpacked tree was deleted from the rootfs cache.</param>
public sealed record ImageRemoval(
    Digest ManifestDigest,
    IReadOnlyList<ImageReference> RemovedReferences,
    IReadOnlyList<Digest> DeletedBlobs,
    bool RootfsRemoved);
