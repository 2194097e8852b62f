using Cleanroom.Api.Addressing;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Cleanroom.Api.Errors;

/// <summary>
/// Makes the generated gRPC clients throw <see cref="Cleanroom.Errors.CleanroomException"/> (via
/// <see cref="WireErrorReader"/>) instead of RpcException, so callers catch one exception type with a stable code.
/// Cancellation the caller asked for stays an OperationCanceledException.
/// </summary>
internal sealed class ClientErrorInterceptor(ApiAddress address) : Interceptor
{
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        BlockingUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        try
        {
            return continuation(request, context);
        }
        catch (RpcException ex)
        {
            throw Translate(ex, context.Options.CancellationToken);
        }
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(request, context);
        var token = context.Options.CancellationToken;
        return new AsyncUnaryCall<TResponse>(
            Wrap(call.ResponseAsync, token), Wrap(call.ResponseHeadersAsync, token),
            call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(request, context);
        var token = context.Options.CancellationToken;
        return new AsyncServerStreamingCall<TResponse>(
            new TranslatingReader<TResponse>(call.ResponseStream, this, token), Wrap(call.ResponseHeadersAsync, token),
            call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(context);
        var token = context.Options.CancellationToken;
        return new AsyncClientStreamingCall<TRequest, TResponse>(
            call.RequestStream, Wrap(call.ResponseAsync, token), Wrap(call.ResponseHeadersAsync, token),
            call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(context);
        var token = context.Options.CancellationToken;
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(
            call.RequestStream, new TranslatingReader<TResponse>(call.ResponseStream, this, token), Wrap(call.ResponseHeadersAsync, token),
            call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private async Task<T> Wrap<T>(Task<T> task, CancellationToken token)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Translate(ex, token);
        }
    }

    private Exception Translate(RpcException ex, CancellationToken token) =>
        ex.StatusCode == StatusCode.Cancelled && token.IsCancellationRequested
            ? new OperationCanceledException(ex.Status.Detail, ex, token)
            : WireErrorReader.FromRpcException(ex, address);

    private sealed class TranslatingReader<T>(IAsyncStreamReader<T> inner, ClientErrorInterceptor owner, CancellationToken callToken)
        : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            try
            {
                return await inner.MoveNext(cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                var token = cancellationToken.IsCancellationRequested ? cancellationToken : callToken;
                throw owner.Translate(ex, token);
            }
        }
    }
}
