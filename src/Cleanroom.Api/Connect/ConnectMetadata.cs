using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Api.Connect;

/// <summary>
/// Converts between HTTP headers and gRPC Metadata the way Connect does: "-bin" keys carry base64 (unpadded when
/// we write, either when we read), protocol headers are not metadata.
/// </summary>
internal static class ConnectMetadata
{
    private static readonly HashSet<string> ProtocolHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "content-type", "content-length", "content-encoding", "accept-encoding", "host", "connection",
        "transfer-encoding", "te", "keep-alive", "upgrade", "user-agent",
    };

    public static Metadata FromRequestHeaders(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers)
        {
            if (name.StartsWith(':') || ProtocolHeaders.Contains(name)
                || name.StartsWith("connect-", StringComparison.OrdinalIgnoreCase))
                continue;
            foreach (var value in values)
            {
                if (value is null) continue;
                try
                {
                    if (name.EndsWith(Metadata.BinaryHeaderSuffix, StringComparison.OrdinalIgnoreCase))
                        metadata.Add(name, DecodeBase64(value));
                    else
                        metadata.Add(name, value);
                }
                catch (Exception ex) when (ex is ArgumentException or FormatException)
                {
                    // A header name gRPC metadata cannot represent, or bad base64: not metadata we can pass on.
                }
            }
        }
        return metadata;
    }

    /// <summary>Adds metadata as response headers, with <paramref name="prefix"/> ("trailer-" for unary trailers).</summary>
    public static void AddToHeaders(Metadata metadata, IHeaderDictionary headers, string prefix = "")
    {
        foreach (var entry in metadata)
        {
            if (ProtocolHeaders.Contains(entry.Key)) continue;
            var value = entry.IsBinary ? EncodeBase64(entry.ValueBytes) : entry.Value;
            headers.Append(prefix + entry.Key, value);
        }
    }

    public static string EncodeBase64(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[] DecodeBase64(string text)
    {
        var padded = text.PadRight(text.Length + (4 - text.Length % 4) % 4, '=');
        return Convert.FromBase64String(padded);
    }
}
