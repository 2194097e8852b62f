using Google.Protobuf;
using Grpc.Core;

namespace Cleanroom.Api.Connect;

/// <summary>The IServerStreamWriter a streaming service method writes to when the call came over Connect.</summary>
internal sealed class ConnectStreamWriter<T>(ConnectEnvelopeWriter envelopes, CancellationToken callCancellation)
    : IServerStreamWriter<T> where T : class
{
    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(T message) => WriteAsync(message, callCancellation);

    public Task WriteAsync(T message, CancellationToken cancellationToken) =>
        envelopes.WriteMessageAsync((IMessage)message, cancellationToken);
}
