using System.Text.Json;
using System.Text.Json.Serialization;
using Cleanroom.Errors;

namespace Cleanroom.Images.Oci;

/// <summary>
/// JSON for the store's documents. Writing is deterministic (fixed property order, no indentation, nulls left
/// out) because the bytes are hashed: the same inputs must give the same digest.
/// </summary>
internal static class OciJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    internal static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    /// <summary>Reads a document from the store; a malformed one means a damaged store or a bad image.</summary>
    internal static T Deserialize<T>(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options)
                ?? throw new CleanroomException(ErrorCode.ImageInvalid, $"{what} is empty (JSON null)");
        }
        catch (JsonException e)
        {
            throw new CleanroomException(ErrorCode.ImageInvalid, $"{what} is not valid JSON: {e.Message}", e);
        }
    }
}
