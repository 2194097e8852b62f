using System.Buffers.Binary;
using Cleanroom.Api.Authentication;
using Cleanroom.Api.Connect;
using Cleanroom.Errors;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Api.Errors;

/// <summary>
/// Grpc.AspNetCore parses a unary or server-streaming call's request before any interceptor runs, and answers a
/// message that does not parse with a bare UNKNOWN ("Exception was thrown by handler"): no stable code, and a
/// server-fault class for what is the client's mistake. This middleware reads such a call's single message first
/// (bounded by the API's message limit), parses it with the method's own parser, and refuses a malformed one with
/// <c>invalid_argument</c>; a good one is handed on unchanged. Compressed frames and streams from the client are left
/// to gRPC (their read failures reach the error interceptor, which maps them the same way).
/// </summary>
internal sealed class GrpcMessageCheck(RequestDelegate next, ConnectMethodRegistry methods, Hosting.ApiHostOptions options)
{
    private const int FrameHeader = 5;

    public async Task InvokeAsync(HttpContext http)
    {
        if (http.Request.ContentType is not { } type || !type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
            || !methods.TryGet(http.Request.Path.Value ?? "", out var method) || method.Descriptor.IsClientStreaming)
        {
            await next(http).ConfigureAwait(false);
            return;
        }

        var body = new MemoryStream();
        var limit = (long)options.MaxMessageBytes + FrameHeader;
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            body.Write(buffer, 0, read);
            if (body.Length > limit) break; // gRPC itself answers RESOURCE_EXHAUSTED for the oversized message
        }

        if (body.Length <= limit && Problem(body.GetBuffer().AsSpan(0, (int)body.Length), method) is { } problem)
        {
            await GateRefusal.WriteAsync(http, WireError.Create(StatusCode.InvalidArgument, ErrorCode.InvalidArgument,
                $"the request is not a valid {method.Descriptor.InputType.FullName} message: {problem}")).ConfigureAwait(false);
            return;
        }

        // What was read, then whatever is left of the body (only when the limit stopped the read).
        body.Position = 0;
        http.Request.Body = body.Length > limit ? new ConcatenatedStream(body, http.Request.Body) : body;
        await next(http).ConfigureAwait(false);
    }

    /// <summary>Why the frames do not hold one parseable message; null when they do or when gRPC should judge them.</summary>
    private static string? Problem(ReadOnlySpan<byte> frames, ConnectMethod method)
    {
        if (frames.Length < FrameHeader) return frames.Length == 0 ? null : "the gRPC frame header is cut short";
        if (frames[0] != 0) return null; // compressed: gRPC decompresses and parses it
        var length = BinaryPrimitives.ReadUInt32BigEndian(frames[1..FrameHeader]);
        if (length != frames.Length - FrameHeader)
            return length > frames.Length - FrameHeader ? "the message is cut short" : "more than one message was sent to a method that takes one";
        try
        {
            method.Descriptor.InputType.Parser.ParseFrom(frames[FrameHeader..].ToArray());
            return null;
        }
        catch (InvalidProtocolBufferException e)
        {
            return e.Message;
        }
    }

    /// <summary>A stream that reads one stream to its end, then the next.</summary>
    private sealed class ConcatenatedStream(Stream first, Stream second) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await first.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return read > 0 ? read : await second.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
