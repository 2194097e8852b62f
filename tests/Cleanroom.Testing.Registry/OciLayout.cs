using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cleanroom.Testing.Registry;

/// <summary>
/// Writes an OCI image layout (oci-layout, index.json, blobs/sha256) that skopeo can push as it is: single-
/// platform images and multi-platform indexes, tagged by the ref.name annotation.
/// </summary>
public sealed class OciLayout
{
    private readonly List<JsonObject> tagged = [];

    public OciLayout(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        Save();
    }

    public string Directory { get; }

    /// <summary>Writes config and manifest; returns the manifest's descriptor (with its platform, for an index).</summary>
    public Descriptor AddImage(IReadOnlyList<BuiltLayer> layers, string architecture = "amd64", string os = "linux", string? variant = null)
    {
        foreach (var layer in layers)
        {
            WriteBlob(layer.Blob);
        }

        var config = new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = os,
            ["config"] = new JsonObject { ["Env"] = new JsonArray("PATH=/bin"), ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(layers.Select(layer => (JsonNode)layer.DiffId).ToArray()) },
        };
        if (variant is not null)
        {
            config["variant"] = variant;
        }

        var configBytes = Bytes(config);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = Descriptor.Json("application/vnd.oci.image.config.v1+json", WriteBlob(configBytes), configBytes.Length),
            ["layers"] = new JsonArray(layers.Select(layer => (JsonNode)Descriptor.Json(layer.MediaType, layer.Digest, layer.Blob.Length)).ToArray()),
        };
        var manifestBytes = Bytes(manifest);
        return new Descriptor("application/vnd.oci.image.manifest.v1+json", WriteBlob(manifestBytes), manifestBytes.Length, os, architecture, variant);
    }

    public Descriptor AddIndex(params Descriptor[] manifests)
    {
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(manifests.Select(manifest => (JsonNode)manifest.ToJson()).ToArray()),
        };
        var bytes = Bytes(index);
        return new Descriptor("application/vnd.oci.image.index.v1+json", WriteBlob(bytes), bytes.Length);
    }

    public void Tag(string tag, Descriptor descriptor)
    {
        var entry = Descriptor.Json(descriptor.MediaType, descriptor.Digest, descriptor.Size);
        entry["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = tag };
        tagged.Add(entry);
        Save();
    }

    public string WriteBlob(byte[] bytes)
    {
        var digest = LayerBuilder.Sha256(bytes);
        File.WriteAllBytes(Path.Combine(Directory, "blobs", "sha256", digest["sha256:".Length..]), bytes);
        return digest;
    }

    private void Save() =>
        File.WriteAllBytes(Path.Combine(Directory, "index.json"), Bytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["manifests"] = new JsonArray(tagged.Select(entry => entry.DeepClone()).ToArray()),
        }));

    private static byte[] Bytes(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node);
}

public sealed record Descriptor(string MediaType, string Digest, long Size, string? Os = null, string? Architecture = null, string? Variant = null)
{
    public static JsonObject Json(string mediaType, string digest, long size) =>
        new() { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size };

    public JsonObject ToJson()
    {
        var json = Json(MediaType, Digest, Size);
        if (Os is not null)
        {
            var platform = new JsonObject { ["architecture"] = Architecture, ["os"] = Os };
            if (Variant is not null)
            {
                platform["variant"] = Variant;
            }

            json["platform"] = platform;
        }

        return json;
    }
}
