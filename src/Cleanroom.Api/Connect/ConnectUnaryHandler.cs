using Cleanroom.Api.Errors;
using Cleanroom.Api.Hosting;
using Cleanroom.Errors;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Api.Connect;

/// <summary>
/// A Connect unary call: the body is the bare message (JSON or binary, optionally gzip), the response is the bare
/// message with 200, or the Connect error JSON with the HTTP status of its code. Metadata travels as headers,
/// trailers as "trailer-" headers.
/// </summary>
internal sealed class ConnectUnaryHandler(ApiHostOptions options, ILogger<ConnectUnaryHandler> logger)
{
    public async Task HandleAsync(HttpContext http, ConnectMethod method, ConnectCodec codec)
    {
        ConnectCallDeadline? deadline = null;
        ConnectServerCallContext? context = null;
        try
        {
            deadline = ConnectCallDeadline.From(http);
            if (method.Refusal is { } refusal)
                throw new RpcException(new Status(StatusCode.Unimplemented, refusal));
            var encoding = http.Request.Headers.ContentEncoding.ToString();
            if (!ConnectRequestBody.IsSupportedEncoding(encoding))
                throw new RpcException(new Status(StatusCode.Unimplemented,
                    $"Content-Encoding '{encoding}' is not supported; use {ConnectRequestBody.SupportedEncodings} or identity"));
            var payload = await ConnectRequestBody.ReadUnaryAsync(http.Request.Body, encoding == "gzip",
                options.MaxMessageBytes, deadline.Token).ConfigureAwait(false);
            var request = Parse(codec, payload, method);
            context = new ConnectServerCallContext(http, method.Path, deadline.Deadline, deadline.Token,
                _ => Task.CompletedTask);

            var response = await method.Unary!(http, request, context).ConfigureAwait(false);
            if (context.Status.StatusCode != StatusCode.OK) throw new RpcException(context.Status);

            var body = codec.Serialize(response);
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = codec.UnaryContentType;
            WriteMetadata(http, context);
            http.Response.ContentLength = body.Length;
            await http.Response.Body.WriteAsync(body, http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var error = WireErrorMapper.Map(ex, logger, deadline?.Expired ?? false);
            if (http.RequestAborted.IsCancellationRequested || http.Response.HasStarted) return;
            await WriteErrorAsync(http, error, context).ConfigureAwait(false);
        }
        finally
        {
            deadline?.Dispose();
        }
    }

    internal static IMessage Parse(ConnectCodec codec, ReadOnlySpan<byte> payload, ConnectMethod method)
    {
        try
        {
            return codec.Parse(payload, method.Descriptor.InputType);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"cannot parse the request as {method.Descriptor.InputType.FullName} ({codec.Name}): {ex.Message}");
        }
        catch (InvalidJsonException ex)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"cannot parse the request as {method.Descriptor.InputType.FullName} (json): {ex.Message}");
        }
    }

    private static async Task WriteErrorAsync(HttpContext http, WireError error, ConnectServerCallContext? context)
    {
        var body = ConnectErrorJson.Serialize(error);
        http.Response.Clear();
        http.Response.StatusCode = ConnectCode.HttpStatusOf(error.Status);
        http.Response.ContentType = "application/json";
        if (context is not null) WriteMetadata(http, context);
        if (error.Status == StatusCode.Unimplemented)
            http.Response.Headers.AcceptEncoding = ConnectRequestBody.SupportedEncodings;
        http.Response.ContentLength = body.Length;
        try
        {
            await http.Response.Body.WriteAsync(body, http.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client left; nobody is waiting for the error.
        }
    }

    private static void WriteMetadata(HttpContext http, ConnectServerCallContext context)
    {
        ConnectMetadata.AddToHeaders(context.ResponseHeaders, http.Response.Headers);
        ConnectMetadata.AddToHeaders(context.ResponseTrailers, http.Response.Headers, "trailer-");
    }
}
