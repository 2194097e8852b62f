using System.Buffers;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Cleanroom.Api.Errors;

/// <summary>
/// The Connect protocol's error JSON: <c>{"code", "message", "details": [{"type", "value", "debug"}]}</c>, where
/// value is the detail's protobuf bytes in standard base64 without padding, as the spec asks writers to do
/// (readers accept both).
/// </summary>
public static class ConnectErrorJson
{
    /// <summary>A parsed Connect error: code, message and the details as packed Any messages.</summary>
    public sealed record Body(StatusCode Code, string Message, IReadOnlyList<Any> Details);

    /// <summary>The error as a unary Connect response body.</summary>
    public static byte[] Serialize(WireError error)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) Write(writer, error);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the error object; also used inside a streaming end-of-stream message.</summary>
    public static void Write(Utf8JsonWriter writer, WireError error)
    {
        writer.WriteStartObject();
        writer.WriteString("code", ConnectCode.NameOf(error.Status));
        writer.WriteString("message", error.Message);
        writer.WriteStartArray("details");
        foreach (var any in error.Detail.Details)
        {
            writer.WriteStartObject();
            writer.WriteString("type", TypeNameOf(any));
            writer.WriteString("value", Convert.ToBase64String(any.Value.Span).TrimEnd('='));
            // "debug" is the spec's optional human-readable copy; it makes curl output self-explanatory.
            if (any.TryUnpack<ErrorInfo>(out var info))
            {
                writer.WritePropertyName("debug");
                writer.WriteRawValue(JsonFormatter.Default.Format(info));
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Parses an error object; null when the JSON is not one (no "code").</summary>
    public static Body? Parse(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("code", out var codeElement)
            || codeElement.ValueKind != JsonValueKind.String)
            return null;
        var code = ConnectCode.Parse(codeElement.GetString()) ?? StatusCode.Unknown;
        var message = element.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString() ?? "" : "";
        var details = new List<Any>();
        if (element.TryGetProperty("details", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in array.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                    || !item.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String)
                    continue;
                if (!TryDecodeBase64(value.GetString()!, out var bytes)) continue;
                details.Add(new Any { TypeUrl = "type.googleapis.com/" + type.GetString(), Value = ByteString.CopyFrom(bytes) });
            }
        }
        return new Body(code, message, details);
    }

    /// <summary>Parses an error body; null when it is not a Connect error object.</summary>
    public static Body? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            return Parse(doc.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string TypeNameOf(Any any) => any.TypeUrl[(any.TypeUrl.LastIndexOf('/') + 1)..];

    private static bool TryDecodeBase64(string text, out byte[] bytes)
    {
        // Accept padded and unpadded, standard and URL-safe, as the spec asks of readers.
        var normal = text.Replace('-', '+').Replace('_', '/');
        normal = normal.PadRight(normal.Length + (4 - normal.Length % 4) % 4, '=');
        try
        {
            bytes = Convert.FromBase64String(normal);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
