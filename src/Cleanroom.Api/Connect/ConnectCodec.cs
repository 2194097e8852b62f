using System.Text;
using Cleanroom.Errors;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Cleanroom.Api.Connect;

/// <summary>
/// The two Connect message encodings: binary protobuf, and the canonical protobuf JSON mapping. JSON input
/// ignores unknown fields (as Connect's reference implementations do), so newer clients can talk to older servers
/// the way binary protobuf already allows.
/// </summary>
internal sealed class ConnectCodec
{
    public static readonly ConnectCodec Proto = new("proto", isJson: false);
    public static readonly ConnectCodec Json = new("json", isJson: true);

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ConnectCodec(string name, bool isJson)
    {
        Name = name;
        IsJson = isJson;
    }

    /// <summary>"proto" or "json": the suffix in application/NAME and application/connect+NAME.</summary>
    public string Name { get; }
    public bool IsJson { get; }
    public string UnaryContentType => "application/" + Name;
    public string StreamingContentType => "application/connect+" + Name;

    /// <summary>The codec of a unary request's Content-Type, or null when it is not a Connect unary type.</summary>
    public static ConnectCodec? ForUnary(string? contentType) => Match(contentType, "application/");

    /// <summary>The codec of a streaming request's Content-Type, or null when it is not a Connect streaming type.</summary>
    public static ConnectCodec? ForStreaming(string? contentType) => Match(contentType, "application/connect+");

    private static ConnectCodec? Match(string? contentType, string prefix)
    {
        if (contentType is null) return null;
        var semicolon = contentType.IndexOf(';');
        var mediaType = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        var parameters = semicolon < 0 ? "" : contentType[(semicolon + 1)..].Trim();
        if (!mediaType.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return null;
        var codec = mediaType[prefix.Length..].ToLowerInvariant() switch
        {
            "proto" => Proto,
            "json" => Json,
            _ => null,
        };
        // JSON is UTF-8 by definition; a request that declares another charset is one we would misread.
        if (codec == Json && parameters.StartsWith("charset=", StringComparison.OrdinalIgnoreCase)
            && !parameters["charset=".Length..].Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            return null;
        return codec;
    }

    /// <exception cref="InvalidProtocolBufferException">The payload is not a valid message of this type.</exception>
    /// <exception cref="InvalidJsonException">The JSON payload is not a valid message of this type.</exception>
    public IMessage Parse(ReadOnlySpan<byte> payload, MessageDescriptor type)
    {
        if (payload.IsEmpty) return type.Parser.ParseFrom(ReadOnlySpan<byte>.Empty);
        if (!IsJson) return type.Parser.ParseFrom(payload);
        try
        {
            return Parser.Parse(StrictUtf8.GetString(payload), type);
        }
        catch (DecoderFallbackException ex)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, "the JSON request body is not valid UTF-8: " + ex.Message);
        }
    }

    public byte[] Serialize(IMessage message) =>
        IsJson ? Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(message)) : message.ToByteArray();
}
