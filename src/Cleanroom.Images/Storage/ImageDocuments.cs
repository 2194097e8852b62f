using Cleanroom.Errors;
using Cleanroom.Images.Oci;

namespace Cleanroom.Images.Storage;

/// <summary>Reads an image's manifest and config from the blobs and checks that they fit together.</summary>
internal static class ImageDocuments
{
    public static OciManifest ReadManifest(BlobStore blobs, Digest digest) => ReadManifest(blobs, digest, out _);

    private static OciManifest ReadManifest(BlobStore blobs, Digest digest, out long size)
    {
        var bytes = blobs.ReadDocument(digest, "manifest");
        size = bytes.LongLength;
        var manifest = OciJson.Deserialize<OciManifest>(bytes, $"manifest {digest}");
        if (manifest.SchemaVersion != 2 || manifest.Config is null || manifest.Layers is null
            || (manifest.MediaType is not null && !OciMediaTypes.IsManifest(manifest.MediaType)))
        {
            throw new CleanroomException(ErrorCode.ImageInvalid,
                $"manifest {digest} is not a single-platform OCI image manifest (schemaVersion 2 with a config and layers)");
        }

        return manifest;
    }

    public static StoredImage Read(BlobStore blobs, Digest manifestDigest, ImageReference? reference)
    {
        var manifest = ReadManifest(blobs, manifestDigest, out var manifestSize);
        var configDigest = ParseDigest(manifest.Config.Digest, manifestDigest, "config");
        var config = OciJson.Deserialize<OciImageConfig>(blobs.ReadDocument(configDigest, "image config"), $"image config {configDigest}");
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
        var size = manifestSize + manifest.Config.Size + layers.Sum(layer => layer.Size);
        return new StoredImage(reference, manifestDigest, configDigest, config.Architecture ?? "", config.Os ?? "", imageConfig, layers)
        {
            Size = size,
        };
    }

    /// <summary>The config and layer digests a manifest keeps alive.</summary>
    public static IEnumerable<Digest> ReferencedBy(BlobStore blobs, Digest manifestDigest)
    {
        var manifest = ReadManifest(blobs, manifestDigest);
        yield return ParseDigest(manifest.Config.Digest, manifestDigest, "config");
        foreach (var layer in manifest.Layers)
        {
            yield return ParseDigest(layer.Digest, manifestDigest, "layer");
        }
    }

    private static Digest ParseDigest(string? text, Digest manifestDigest, string what) =>
        Digest.TryParse(text ?? "", out var digest, out var problem)
            ? digest
            : throw new CleanroomException(ErrorCode.ImageInvalid, $"manifest {manifestDigest} has a bad {what} digest: {problem}");
}
