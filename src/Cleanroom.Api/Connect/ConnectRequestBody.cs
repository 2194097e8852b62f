using System.Buffers.Binary;
using System.IO.Compression;
using Cleanroom.Errors;
using Grpc.Core;

namespace Cleanroom.Api.Connect;

/// <summary>
/// Reads a Connect request body, size-limited, and undoes gzip. Unary bodies are the bare message; a
/// server-streaming request body is exactly one envelope (flags byte, big-endian uint32 length, payload).
/// </summary>
internal static class ConnectRequestBody
{
    public const byte CompressedFlag = 0x01;
    public const byte EndStreamFlag = 0x02;

    /// <summary>The encodings we accept; "identity" or no header means uncompressed.</summary>
    public const string SupportedEncodings = "gzip";

    public static bool IsSupportedEncoding(string? encoding) =>
        string.IsNullOrEmpty(encoding) || encoding is "identity" or "gzip";

    public static async Task<byte[]> ReadUnaryAsync(Stream body, bool gzip, int limit, CancellationToken cancellationToken)
    {
        var raw = await ReadLimitedAsync(body, limit, cancellationToken).ConfigureAwait(false);
        return gzip ? await GunzipAsync(raw, limit, cancellationToken).ConfigureAwait(false) : raw;
    }

    public static async Task<byte[]> ReadSingleEnvelopeAsync(Stream body, bool gzip, int limit, CancellationToken cancellationToken)
    {
        var header = new byte[5];
        try
        {
            await body.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw Invalid("the request body must hold one enveloped message");
        }
        var flags = header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if ((flags & EndStreamFlag) != 0) throw Invalid("a request message must not carry the end-of-stream flag");
        if (length > (uint)limit) throw TooLarge(limit);
        var payload = new byte[length];
        try
        {
            await body.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw Invalid("the request body ended inside the message");
        }
        if ((flags & CompressedFlag) == 0) return payload;
        if (!gzip) throw Invalid("a message is flagged compressed but Connect-Content-Encoding names no compression");
        return await GunzipAsync(payload, limit, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadLimitedAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit) throw TooLarge(limit);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static async Task<byte[]> GunzipAsync(byte[] compressed, int limit, CancellationToken cancellationToken)
    {
        try
        {
            await using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            return await ReadLimitedAsync(gzip, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            throw Invalid("the request body is not valid gzip");
        }
    }

    private static CleanroomException Invalid(string message) => new(ErrorCode.InvalidArgument, message);

    // A decompressed size over the limit is as bad as a raw one: it is how zip bombs are stopped.
    private static RpcException TooLarge(int limit) =>
        new(new Status(StatusCode.ResourceExhausted, $"the request message is larger than the {limit}-byte limit"));
}
