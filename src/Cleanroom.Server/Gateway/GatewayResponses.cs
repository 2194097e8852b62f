using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Server.Gateway;

/// <summary>How the gateway answers what it serves itself: refusals as JSON with the stable code (also in a header).</summary>
internal static class GatewayResponses
{
    public const string ErrorHeader = "X-Cleanroom-Error";

    public static async Task RefuseAsync(HttpContext context, GatewayRefusal refusal)
    {
        if (context.Response.HasStarted)
            return;
        context.Response.StatusCode = refusal.Status;
        context.Response.Headers[ErrorHeader] = refusal.Code;
        context.Response.Headers.Connection = "close";
        await WriteJsonAsync(context, new JsonObject { ["code"] = refusal.Code, ["message"] = refusal.Message });
    }

    /// <returns>The bytes of the body written.</returns>
    public static async Task<long> WriteJsonAsync(HttpContext context, JsonObject body)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(body.ToJsonString() + "\n");
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        return bytes.Length;
    }
}
