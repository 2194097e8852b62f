namespace Cleanroom.Images;

/// <summary>An image in the store, as <see cref="ImageStore.Resolve"/> finds it.</summary>
/// <param name="Reference">
/// The reference pinned to <paramref name="ManifestDigest"/>, <c>name[:tag]@sha256:...</c>; for a lookup by bare
/// digest, the first reference that names this digest, or null when none does.
/// </param>
/// <param name="Layers">Bottom layer first, the order they are applied in.</param>
public sealed record StoredImage(
    ImageReference? Reference,
    Digest ManifestDigest,
    Digest ConfigDigest,
    string Architecture,
    string Os,
    ImageConfig Config,
    IReadOnlyList<ImageLayer> Layers)
{
    /// <summary>Bytes the image's blobs take in the store (manifest, config and compressed layers).</summary>
    public long Size { get; init; }

    /// <summary>
    /// The multi-platform image index <see cref="ManifestDigest"/> was chosen from, when the reference names an
    /// index (then <see cref="Reference"/> pins the index and <see cref="ManifestDigest"/> is the platform's manifest).
    /// </summary>
    public Digest? IndexDigest { get; init; }
}

/// <summary>One layer: the stored (usually compressed) blob, and the digest of its uncompressed tar (diff_id).</summary>
public sealed record ImageLayer(Digest Digest, Digest DiffId, string MediaType, long Size);
