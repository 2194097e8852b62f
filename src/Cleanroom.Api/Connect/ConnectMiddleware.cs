using Microsoft.AspNetCore.Http;

namespace Cleanroom.Api.Connect;

/// <summary>
/// Serves the Connect protocol on the same paths as gRPC. gRPC and Connect requests share paths and the POST
/// method; the Content-Type tells them apart, so this middleware runs before routing, takes Connect content types
/// and passes <c>application/grpc*</c> on to Grpc.AspNetCore.
/// </summary>
internal sealed class ConnectMiddleware(RequestDelegate next, ConnectMethodRegistry registry,
    ConnectUnaryHandler unary, ConnectStreamingHandler streaming)
{
    public Task InvokeAsync(HttpContext http)
    {
        if (!registry.TryGet(http.Request.Path.Value ?? "", out var method)) return next(http);
        var contentType = http.Request.ContentType;
        if (contentType is not null && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase))
            return next(http);

        if (!HttpMethods.IsPost(http.Request.Method))
        {
            // Connect's GET form (for side-effect-free unary calls) is not served.
            http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            http.Response.Headers.Allow = "POST";
            return Task.CompletedTask;
        }

        if (method.Unary is not null || method.Refusal is not null && ConnectCodec.ForStreaming(contentType) is null)
        {
            var codec = ConnectCodec.ForUnary(contentType);
            return codec is null
                ? UnsupportedMediaType(http, "application/json, application/proto")
                : unary.HandleAsync(http, method, codec);
        }

        var streamCodec = ConnectCodec.ForStreaming(contentType);
        return streamCodec is null
            ? UnsupportedMediaType(http, "application/connect+json, application/connect+proto")
            : streaming.HandleAsync(http, method, streamCodec);
    }

    // The spec's answer to a Content-Type the server does not speak: 415, before anything else is read.
    private static Task UnsupportedMediaType(HttpContext http, string accepted)
    {
        http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        http.Response.Headers["Accept-Post"] = accepted;
        return Task.CompletedTask;
    }
}
