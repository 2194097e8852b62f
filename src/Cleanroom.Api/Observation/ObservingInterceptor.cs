using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Cleanroom.Api.Observation;

/// <summary>
/// The gRPC side of <see cref="IApiCallObserver"/>: inside the error interceptor, so it sees what the handler threw
/// (with its stable code) rather than the wire error. Client and bidirectional streams report their first message.
/// </summary>
internal sealed class ObservingInterceptor(IApiCallObserver observer) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            var response = await continuation(request, context);
            observer.Completed(context, request as IMessage, response as IMessage, null);
            return response;
        }
        catch (Exception failure)
        {
            observer.Completed(context, request as IMessage, null, failure);
            throw;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
            observer.Completed(context, request as IMessage, null, null);
        }
        catch (Exception failure)
        {
            observer.Completed(context, request as IMessage, null, failure);
            throw;
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var first = new FirstMessageReader<TRequest>(requestStream);
        try
        {
            var response = await continuation(first, context);
            observer.Completed(context, first.First as IMessage, response as IMessage, null);
            return response;
        }
        catch (Exception failure)
        {
            observer.Completed(context, first.First as IMessage, null, failure);
            throw;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var first = new FirstMessageReader<TRequest>(requestStream);
        try
        {
            await continuation(first, responseStream, context);
            observer.Completed(context, first.First as IMessage, null, null);
        }
        catch (Exception failure)
        {
            observer.Completed(context, first.First as IMessage, null, failure);
            throw;
        }
    }

    /// <summary>Passes a request stream through, keeping its first message (which names the sandbox).</summary>
    private sealed class FirstMessageReader<T>(IAsyncStreamReader<T> inner) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public T? First { get; private set; }

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            var more = await inner.MoveNext(cancellationToken);
            if (more && First is null) First = inner.Current;
            return more;
        }
    }
}
