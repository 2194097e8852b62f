namespace Cleanroom.Images;

/// <summary>One row of <see cref="ImageStore.List"/>: a reference, what it points to, and when it was recorded.</summary>
public sealed record ImageSummary(ImageReference Reference, Digest ManifestDigest, long Size, DateTimeOffset? Created);
