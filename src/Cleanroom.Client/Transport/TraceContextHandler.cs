using System.Net.Http;

namespace Cleanroom.Client;

/// <summary>Sends the client's W3C trace context as <c>traceparent</c> on every request (every gRPC call).</summary>
internal sealed class TraceContextHandler(string traceParent, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public static HttpMessageHandler Wrap(string? traceParent, HttpMessageHandler inner) =>
        traceParent is null ? inner : new TraceContextHandler(traceParent, inner);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Remove("traceparent");
        request.Headers.TryAddWithoutValidation("traceparent", traceParent);
        return base.SendAsync(request, cancellationToken);
    }
}
