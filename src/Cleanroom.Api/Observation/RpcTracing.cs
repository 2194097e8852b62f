using System.Diagnostics;
using Cleanroom.Telemetry;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Api.Observation;

/// <summary>
/// A server span per API call, gRPC and Connect alike (both are a POST to <c>/package.Service/Method</c>), named
/// as OpenTelemetry's RPC conventions say. A W3C <c>traceparent</c> header makes it a child of the caller's span,
/// which is how one <c>cleanroom exec --rm</c>'s calls end up in one trace (the CLI sends one trace context on every
/// call). First in the pipeline, so calls the gate refuses are traced too. Does nothing while nothing listens.
/// </summary>
internal sealed class RpcTracing(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext http) =>
        CleanroomTelemetry.Source.HasListeners() && Method(http.Request.Path.Value) is { } method
            ? TraceAsync(http, method)
            : next(http);

    private async Task TraceAsync(HttpContext http, (string Service, string Method) method)
    {
        var headers = http.Request.Headers;
        ActivityContext.TryParse(headers.TraceParent.ToString(), headers.TraceState.ToString(), out var parent);
        using var span = CleanroomTelemetry.Source.StartActivity($"{method.Service}/{method.Method}", ActivityKind.Server, parent);
        if (span is not null)
        {
            span.SetTag(TelemetryTags.RpcSystem, http.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true ? "grpc" : "connect_rpc");
            span.SetTag(TelemetryTags.RpcService, method.Service);
            span.SetTag(TelemetryTags.RpcMethod, method.Method);
        }
        await next(http);
        if (span is not null && span.Status == ActivityStatusCode.Unset && http.Response.StatusCode >= 400)
            span.SetStatus(ActivityStatusCode.Error, $"HTTP {http.Response.StatusCode}");
    }

    /// <summary>The service and method of a call path, e.g. <c>/cleanroom.v1.SandboxService/CreateSandbox</c>; null for anything else.</summary>
    internal static (string Service, string Method)? Method(string? path)
    {
        if (path is null || path.Length < 4 || path[0] != '/') return null;
        var slash = path.IndexOf('/', 1);
        if (slash < 2 || slash == path.Length - 1 || path.IndexOf('/', slash + 1) >= 0) return null;
        return (path[1..slash], path[(slash + 1)..]);
    }
}
