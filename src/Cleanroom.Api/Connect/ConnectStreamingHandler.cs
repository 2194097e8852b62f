using Cleanroom.Api.Errors;
using Cleanroom.Api.Hosting;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Api.Connect;

/// <summary>
/// A Connect server-streaming call: the request is one envelope; the response is 200 with a stream of envelopes
/// ending in the end-of-stream envelope, which carries any error (so errors, even early ones, never change the
/// HTTP status, as the spec requires for streams).
/// </summary>
internal sealed class ConnectStreamingHandler(ApiHostOptions options, ILogger<ConnectStreamingHandler> logger)
{
    public async Task HandleAsync(HttpContext http, ConnectMethod method, ConnectCodec codec)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = codec.StreamingContentType;
        http.Response.Headers["Connect-Accept-Encoding"] = ConnectRequestBody.SupportedEncodings;

        var started = false;
        async Task StartResponse()
        {
            if (started) return;
            started = true;
            await http.Response.StartAsync(http.RequestAborted).ConfigureAwait(false);
        }
        Task WriteHeaders(Metadata headers)
        {
            if (started) throw new InvalidOperationException("Response headers can only be sent once per call.");
            ConnectMetadata.AddToHeaders(headers, http.Response.Headers);
            return StartResponse();
        }

        var envelopes = new ConnectEnvelopeWriter(http.Response, codec, StartResponse);
        ConnectCallDeadline? deadline = null;
        ConnectServerCallContext? context = null;
        WireError? error = null;
        try
        {
            deadline = ConnectCallDeadline.From(http);
            if (method.Refusal is { } refusal)
                throw new RpcException(new Status(StatusCode.Unimplemented, refusal));
            var encoding = http.Request.Headers["Connect-Content-Encoding"].ToString();
            if (!ConnectRequestBody.IsSupportedEncoding(encoding))
                throw new RpcException(new Status(StatusCode.Unimplemented,
                    $"Connect-Content-Encoding '{encoding}' is not supported; use {ConnectRequestBody.SupportedEncodings} or identity"));
            var payload = await ConnectRequestBody.ReadSingleEnvelopeAsync(http.Request.Body, encoding == "gzip",
                options.MaxMessageBytes, deadline.Token).ConfigureAwait(false);
            var request = ConnectUnaryHandler.Parse(codec, payload, method);
            context = new ConnectServerCallContext(http, method.Path, deadline.Deadline, deadline.Token, WriteHeaders);

            await method.ServerStreaming!(http, request, envelopes, context).ConfigureAwait(false);
            if (context.Status.StatusCode != StatusCode.OK) throw new RpcException(context.Status);
        }
        catch (Exception ex)
        {
            error = WireErrorMapper.Map(ex, logger, deadline?.Expired ?? false);
        }
        finally
        {
            deadline?.Dispose();
        }

        if (http.RequestAborted.IsCancellationRequested) return;
        try
        {
            await envelopes.WriteEndAsync(error, context?.ResponseTrailers ?? []).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            logger.LogDebug(ex, "Could not finish the Connect stream of {Method}; the client has gone", method.Path);
        }
    }
}
