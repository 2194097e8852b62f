using System.Text.Json;
using System.Text.Json.Serialization;
using Cleanroom.Errors;

namespace Cleanroom.Images.Registry.Distribution;

/// <summary>
/// A manifest or index as a registry served it: its exact bytes (what its digest is of, and what the store
/// keeps), its digest and media type, and the parts a pull needs. OCI and Docker schema 2 forms are read
/// alike; Docker schema 1 is refused.
/// </summary>
internal sealed record ManifestDocument(byte[] Bytes, Digest Digest, string MediaType, RemoteManifest Content)
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    /// <summary>The Accept header of a manifest request: every form we can read, single-platform and index.</summary>
    public static readonly string[] Accepted = [OciIndex, OciManifest, DockerList, DockerManifest];

    public bool IsIndex => MediaType is OciIndex or DockerList;

    public static ManifestDocument Parse(byte[] bytes, Digest digest, string? contentType, string what)
    {
        RemoteManifest content;
        try
        {
            content = JsonSerializer.Deserialize(bytes, RemoteManifestJson.Default.RemoteManifest)
                ?? throw new CleanroomException(ErrorCode.ImageInvalid, $"{what} is empty (JSON null)");
        }
        catch (JsonException e)
        {
            throw new CleanroomException(ErrorCode.ImageInvalid, $"{what} is not valid JSON: {e.Message}", e);
        }

        if (content.SchemaVersion == 1 || (contentType?.StartsWith("application/vnd.docker.distribution.manifest.v1", StringComparison.Ordinal) ?? false))
        {
            throw new CleanroomException(ErrorCode.ImageInvalid,
                $"{what} is a Docker schema 1 manifest, which is not supported; push the image again with a current tool");
        }

        // The body's mediaType decides when present (it is hashed); else the Content-Type; else the shape.
        var mediaType = content.MediaType
            ?? (contentType is not null && Accepted.Contains(contentType) ? contentType : null)
            ?? (content.Manifests is not null && content.Layers is null ? OciIndex : OciManifest);
        if (!Accepted.Contains(mediaType))
        {
            throw new CleanroomException(ErrorCode.ImageInvalid, $"{what} has media type {mediaType}, which is not an image manifest or index");
        }

        var document = new ManifestDocument(bytes, digest, mediaType, content);
        var complete = document.IsIndex ? content.Manifests is not null : content.Config is not null && content.Layers is not null;
        return complete
            ? document
            : throw new CleanroomException(ErrorCode.ImageInvalid, $"{what} ({mediaType}) lacks its {(document.IsIndex ? "manifests" : "config or layers")}");
    }
}

internal sealed record RemoteManifest(
    [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
    [property: JsonPropertyName("mediaType")] string? MediaType,
    [property: JsonPropertyName("config")] RemoteDescriptor? Config,
    [property: JsonPropertyName("layers")] IReadOnlyList<RemoteDescriptor>? Layers,
    [property: JsonPropertyName("manifests")] IReadOnlyList<RemoteDescriptor>? Manifests);

internal sealed record RemoteDescriptor(
    [property: JsonPropertyName("mediaType")] string? MediaType,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("platform")] RemotePlatform? Platform);

internal sealed record RemotePlatform(
    [property: JsonPropertyName("os")] string? Os,
    [property: JsonPropertyName("architecture")] string? Architecture,
    [property: JsonPropertyName("variant")] string? Variant)
{
    public override string ToString() => $"{Os}/{Architecture}{(string.IsNullOrEmpty(Variant) ? "" : "/" + Variant)}";
}

/// <summary>
/// Reads <see cref="RemoteManifest"/> with code generated at build time (the server is a NativeAOT binary, where
/// reflection-based JSON cannot run); names match exactly, as the specs write them.
/// </summary>
[JsonSerializable(typeof(RemoteManifest))]
internal sealed partial class RemoteManifestJson : JsonSerializerContext;
