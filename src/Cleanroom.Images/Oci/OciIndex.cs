using System.Text.Json.Serialization;

namespace Cleanroom.Images.Oci;

/// <summary>The image layout's index.json: one descriptor per reference (see the README for the annotations).</summary>
internal sealed record OciIndex(
    [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("manifests")] IReadOnlyList<OciDescriptor> Manifests)
{
    internal const string RefNameAnnotation = "org.opencontainers.image.ref.name";
    internal const string CreatedAnnotation = "org.opencontainers.image.created";

    internal static OciIndex Empty { get; } = new(2, OciMediaTypes.ImageIndex, []);
}
