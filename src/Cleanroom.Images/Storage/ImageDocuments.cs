using System.Text.Json;
using Cleanroom.Errors;
using Cleanroom.Images.Oci;

namespace Cleanroom.Images.Storage;

/// <summary>
/// Reads an image's manifest and config from the blobs and checks that they fit together. A reference may name
/// a multi-platform image index instead of a manifest; then the manifest for the wanted platform is read, which
/// must be in the store (an index lists every platform, a store holds the ones that were pulled).
/// </summary>
internal static class ImageDocuments
{
    public static OciManifest ReadManifest(BlobStore blobs, Digest digest) =>
        ParseManifest(blobs.ReadDocument(digest, "manifest"), digest);

    private static OciManifest ParseManifest(byte[] bytes, Digest digest)
    {
        var manifest = OciJson.Deserialize(bytes, OciJsonContext.Default.OciManifest, $"manifest {digest}");
        if (manifest.SchemaVersion != 2 || manifest.Config is null || manifest.Layers is null
            || (manifest.MediaType is not null && !OciMediaTypes.IsManifest(manifest.MediaType)))
        {
            throw new CleanroomException(ErrorCode.ImageInvalid,
                $"manifest {digest} is not a single-platform OCI image manifest (schemaVersion 2 with a config and layers)");
        }

        return manifest;
    }

    /// <summary>
    /// The image <paramref name="digest"/> names: that manifest, or for an index the manifest of
    /// <paramref name="platform"/> (default: the host's if the store holds it, else the first one it holds).
    /// </summary>
    public static StoredImage Read(BlobStore blobs, Digest digest, ImageReference? reference, ImagePlatform? platform = null)
    {
        var bytes = blobs.ReadDocument(digest, "manifest");
        if (!IsIndex(bytes))
        {
            return ReadSingle(blobs, digest, bytes, reference);
        }

        var child = SelectPlatformManifest(blobs, digest, ParseIndex(bytes, digest), platform);
        var image = ReadSingle(blobs, child, blobs.ReadDocument(child, "manifest"), reference);
        return image with { IndexDigest = digest, Size = image.Size + bytes.LongLength };
    }

    /// <summary>The manifests of an index that the store holds, or just <paramref name="digest"/> for a manifest.</summary>
    public static IReadOnlyList<Digest> PlatformManifests(BlobStore blobs, Digest digest)
    {
        var bytes = blobs.ReadDocument(digest, "manifest");
        return IsIndex(bytes) ? PresentChildren(blobs, ParseIndex(bytes, digest), digest).Select(child => child.Digest).ToList() : [digest];
    }

    /// <summary>
    /// Whether a document is an image index (OCI) or manifest list (Docker): by its mediaType, or for an OCI
    /// index that leaves mediaType out, by having <c>manifests</c> and no <c>layers</c>.
    /// </summary>
    public static bool IsIndex(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            if (root.TryGetProperty("mediaType", out var mediaType) && mediaType.ValueKind == JsonValueKind.String)
            {
                return OciMediaTypes.IsIndex(mediaType.GetString());
            }

            return root.TryGetProperty("manifests", out _) && !root.TryGetProperty("layers", out _);
        }
        catch (JsonException)
        {
            return false; // reported as a malformed manifest by the reader that follows
        }
    }

    /// <summary>The document's own mediaType, or the OCI one its shape says when it leaves the field out.</summary>
    public static string MediaTypeOf(BlobStore blobs, Digest digest)
    {
        var bytes = blobs.ReadDocument(digest, "manifest");
        using var document = JsonDocument.Parse(bytes);
        return document.RootElement.TryGetProperty("mediaType", out var mediaType) && mediaType.ValueKind == JsonValueKind.String
            ? mediaType.GetString()!
            : IsIndex(bytes) ? OciMediaTypes.ImageIndex : OciMediaTypes.ImageManifest;
    }

    private static StoredImage ReadSingle(BlobStore blobs, Digest manifestDigest, byte[] manifestBytes, ImageReference? reference)
    {
        var manifest = ParseManifest(manifestBytes, manifestDigest);
        var configDigest = ParseDigest(manifest.Config.Digest, manifestDigest, "config");
        var config = OciJson.Deserialize(blobs.ReadDocument(configDigest, "image config"), OciJsonContext.Default.OciImageConfig, $"image config {configDigest}");
        var diffIds = config.Rootfs?.DiffIds ?? [];
        if (diffIds.Count != manifest.Layers.Count)
        {
            throw new CleanroomException(ErrorCode.ImageInvalid,
                $"image {manifestDigest} has {manifest.Layers.Count} layers but its config lists {diffIds.Count} diff_ids");
        }

        var layers = manifest.Layers
            .Select((layer, i) => new ImageLayer(
                ParseDigest(layer.Digest, manifestDigest, "layer"), ParseDigest(diffIds[i], manifestDigest, "diff_id"), layer.MediaType, layer.Size))
            .ToList();
        var runtime = config.Config;
        var defaults = ImageConfig.Default;
        var imageConfig = new ImageConfig
        {
            Env = runtime?.Env ?? [],
            Entrypoint = runtime?.Entrypoint ?? [],
            Cmd = runtime?.Cmd ?? [],
            WorkingDir = string.IsNullOrEmpty(runtime?.WorkingDir) ? defaults.WorkingDir : runtime.WorkingDir,
            User = runtime?.User ?? "",
        };
        var size = manifestBytes.LongLength + manifest.Config.Size + layers.Sum(layer => layer.Size);
        return new StoredImage(reference, manifestDigest, configDigest, config.Architecture ?? "", config.Os ?? "", imageConfig, layers)
        {
            Size = size,
        };
    }

    /// <summary>The blobs a manifest keeps alive (config and layers); for an index, its manifests in the store and theirs.</summary>
    public static IEnumerable<Digest> ReferencedBy(BlobStore blobs, Digest digest)
    {
        var bytes = blobs.ReadDocument(digest, "manifest");
        var manifests = IsIndex(bytes)
            ? PresentChildren(blobs, ParseIndex(bytes, digest), digest).Select(child => child.Digest).ToList()
            : [digest];
        foreach (var manifestDigest in manifests)
        {
            yield return manifestDigest;
            var manifest = ReadManifest(blobs, manifestDigest);
            yield return ParseDigest(manifest.Config.Digest, manifestDigest, "config");
            foreach (var layer in manifest.Layers)
            {
                yield return ParseDigest(layer.Digest, manifestDigest, "layer");
            }
        }
    }

    private static OciIndex ParseIndex(byte[] bytes, Digest digest)
    {
        var index = OciJson.Deserialize(bytes, OciJsonContext.Default.OciIndex, $"image index {digest}");
        return index.SchemaVersion == 2 && index.Manifests is not null
            ? index
            : throw new CleanroomException(ErrorCode.ImageInvalid, $"image index {digest} is not an OCI image index (schemaVersion 2 with manifests)");
    }

    private static IEnumerable<(Digest Digest, OciPlatform? Platform)> PresentChildren(BlobStore blobs, OciIndex index, Digest indexDigest) =>
        index.Manifests
            .Where(child => child.MediaType is null || OciMediaTypes.IsManifest(child.MediaType))
            .Select(child => (Digest: ParseDigest(child.Digest, indexDigest, "manifest"), child.Platform))
            .Where(child => blobs.Contains(child.Digest));

    private static Digest SelectPlatformManifest(BlobStore blobs, Digest indexDigest, OciIndex index, ImagePlatform? platform)
    {
        var present = PresentChildren(blobs, index, indexDigest).ToList();
        var wanted = platform ?? ImagePlatform.Host;
        foreach (var (digest, childPlatform) in present)
        {
            if (wanted.Matches(childPlatform?.Os, childPlatform?.Architecture, childPlatform?.Variant))
            {
                return digest;
            }
        }

        // Only what was pulled is here; with no platform asked for, the one pulled (e.g. with an override) is meant.
        var pulled = present.FirstOrDefault(child => child.Platform is { Os: not "unknown" });
        return platform is null && pulled.Platform is not null
            ? pulled.Digest
            : throw new CleanroomException(ErrorCode.NotFound,
                $"image index {indexDigest} is in the image store, but its {wanted} manifest is not; pull it for that platform");
    }

    private static Digest ParseDigest(string? text, Digest manifestDigest, string what) =>
        Digest.TryParse(text ?? "", out var digest, out var problem)
            ? digest
            : throw new CleanroomException(ErrorCode.ImageInvalid, $"manifest {manifestDigest} has a bad {what} digest: {problem}");
}
