using System.Text.Json.Serialization;

namespace Cleanroom.Images.Oci;

/// <summary>An OCI image manifest: one config blob and the layers, bottom first.</summary>
internal sealed record OciManifest(
    [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
    [property: JsonPropertyName("mediaType")] string? MediaType,
    [property: JsonPropertyName("config")] OciDescriptor Config,
    [property: JsonPropertyName("layers")] IReadOnlyList<OciDescriptor> Layers);
