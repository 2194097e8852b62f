using System.Net;
using Cleanroom.Api.Connect;
using Cleanroom.Api.Errors;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Api.Authentication;

/// <summary>
/// Writes a refusal before any handler runs, in the request's own protocol: a gRPC trailers-only response, a Connect
/// end-of-stream envelope for a Connect stream, else a Connect unary error with the code's HTTP status (401 for
/// <c>unauthenticated</c>, 403 for <c>access_denied</c>).
/// </summary>
internal static class GateRefusal
{
    public static async Task WriteAsync(HttpContext http, WireError error)
    {
        var contentType = http.Request.ContentType;
        var response = http.Response;
        if (contentType is not null && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase))
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = ((int)error.Status).ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = Uri.EscapeDataString(error.Message);
            response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(error.Detail.ToByteArray());
            return;
        }
        if (ConnectCodec.ForStreaming(contentType) is { } streaming)
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = streaming.StreamingContentType;
            var envelopes = new ConnectEnvelopeWriter(response, streaming, () => response.StartAsync(http.RequestAborted));
            await envelopes.WriteEndAsync(error, new Metadata()).ConfigureAwait(false);
            return;
        }
        var body = ConnectErrorJson.Serialize(error);
        response.StatusCode = ConnectCode.HttpStatusOf(error.Status);
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, http.RequestAborted).ConfigureAwait(false);
    }
}
