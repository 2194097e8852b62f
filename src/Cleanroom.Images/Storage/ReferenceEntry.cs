namespace Cleanroom.Images.Storage;

/// <summary>
/// One row of the reference table (one descriptor in index.json): <c>name:tag</c> or <c>name@sha256:...</c>
/// → manifest. <see cref="Key"/> is null for a manifest listed without a name (kept, and kept alive by GC).
/// </summary>
internal sealed record ReferenceEntry(string? Key, Digest ManifestDigest, string MediaType, long ManifestSize, DateTimeOffset? Created);
