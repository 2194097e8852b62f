using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Cleanroom.Errors;

namespace Cleanroom.Images.Oci;

/// <summary>
/// JSON for the store's documents. Writing is deterministic (fixed property order, no indentation, nulls left
/// out) because the bytes are hashed: the same inputs must give the same digest. The (de)serializers are generated
/// at build time (<see cref="OciJsonContext"/>): the server is a NativeAOT binary, where reflection-based JSON cannot run.
/// </summary>
internal static class OciJson
{
    internal static byte[] Serialize<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);

    /// <summary>Reads a document from the store; a malformed one means a damaged store or a bad image.</summary>
    internal static T Deserialize<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type)
                ?? throw new CleanroomException(ErrorCode.ImageInvalid, $"{what} is empty (JSON null)");
        }
        catch (JsonException e)
        {
            throw new CleanroomException(ErrorCode.ImageInvalid, $"{what} is not valid JSON: {e.Message}", e);
        }
    }
}

/// <summary>The store's documents, with the options whose output earlier stores hashed.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(OciIndex))]
[JsonSerializable(typeof(OciManifest))]
[JsonSerializable(typeof(OciImageConfig))]
internal sealed partial class OciJsonContext : JsonSerializerContext;
