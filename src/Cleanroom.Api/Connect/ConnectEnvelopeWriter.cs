using System.Buffers.Binary;
using System.Buffers;
using System.Text;
using System.Text.Json;
using Cleanroom.Api.Errors;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Api.Connect;

/// <summary>
/// Writes a Connect streaming response: each message as an envelope straight into Kestrel's response pipe (binary
/// messages are serialized into the pipe's own buffers), flushed at once so the client sees output as it happens;
/// then the end-of-stream envelope, always JSON, with the error (if any) and the trailers as metadata.
/// </summary>
internal sealed class ConnectEnvelopeWriter(HttpResponse response, ConnectCodec codec, Func<Task> startResponse)
{
    private int _writing;

    public async Task WriteMessageAsync(IMessage message, CancellationToken cancellationToken)
    {
        // Like gRPC, one write at a time; overlapping writes are a bug in the caller, not something to queue.
        if (Interlocked.Exchange(ref _writing, 1) == 1)
            throw new InvalidOperationException("A previous write to this stream has not completed.");
        try
        {
            await startResponse().ConfigureAwait(false);
            var pipe = response.BodyWriter;
            if (codec.IsJson)
            {
                var json = JsonFormatter.Default.Format(message);
                var length = Encoding.UTF8.GetByteCount(json);
                WriteHeader(pipe, 0, length);
                Encoding.UTF8.GetBytes(json, pipe);
            }
            else
            {
                WriteHeader(pipe, 0, message.CalculateSize());
                message.WriteTo(pipe);
            }
            var flushed = await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (flushed.IsCompleted || flushed.IsCanceled)
                throw new OperationCanceledException("The client closed the stream.");
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    /// <summary>The final envelope: <c>{}</c>, or <c>{"error": {...}}</c>, plus <c>"metadata"</c> when there are trailers.</summary>
    public async Task WriteEndAsync(WireError? error, Metadata trailers)
    {
        await startResponse().ConfigureAwait(false);
        var json = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (error is not null)
            {
                writer.WritePropertyName("error");
                ConnectErrorJson.Write(writer, error);
            }
            if (trailers.Count > 0)
            {
                writer.WriteStartObject("metadata");
                foreach (var group in trailers.GroupBy(e => e.Key))
                {
                    writer.WriteStartArray(group.Key);
                    foreach (var entry in group)
                        writer.WriteStringValue(entry.IsBinary ? ConnectMetadata.EncodeBase64(entry.ValueBytes) : entry.Value);
                    writer.WriteEndArray();
                }
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        var pipe = response.BodyWriter;
        WriteHeader(pipe, ConnectRequestBody.EndStreamFlag, json.WrittenCount);
        pipe.Write(json.WrittenSpan);
        await pipe.FlushAsync().ConfigureAwait(false);
    }

    private static void WriteHeader(IBufferWriter<byte> pipe, byte flags, int length)
    {
        var header = pipe.GetSpan(5);
        header[0] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)length);
        pipe.Advance(5);
    }
}
