using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Api.Connect;

/// <summary>
/// The ServerCallContext a service method sees when the call arrived over Connect, so the same implementation
/// serves both protocols. Response headers are collected and written by the protocol handler (unary: before the
/// body; streaming: before the first message); trailers go to "trailer-" headers or the end-of-stream metadata.
/// </summary>
internal sealed class ConnectServerCallContext : ServerCallContext
{
    // Grpc.AspNetCore's GetHttpContext() extension looks the HttpContext up under this key for non-gRPC contexts.
    private const string HttpContextKey = "__HttpContext";

    private readonly HttpContext _http;
    private readonly string _method;
    private readonly DateTime _deadline;
    private readonly CancellationToken _cancellationToken;
    private readonly Func<Metadata, Task> _writeHeaders;
    private Metadata? _requestHeaders;
    private Dictionary<object, object>? _userState;

    public ConnectServerCallContext(HttpContext http, string method, DateTime deadline,
        CancellationToken cancellationToken, Func<Metadata, Task> writeHeaders)
    {
        _http = http;
        _method = method;
        _deadline = deadline;
        _cancellationToken = cancellationToken;
        _writeHeaders = writeHeaders;
    }

    public Metadata ResponseHeaders { get; } = [];

    protected override string MethodCore => _method;
    protected override string HostCore => _http.Request.Host.Value ?? "";
    protected override string PeerCore => _http.Connection.RemoteIpAddress is { } ip
        ? (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"ipv6:[{ip}]:{_http.Connection.RemotePort}" : $"ipv4:{ip}:{_http.Connection.RemotePort}")
        : "unix:";
    protected override DateTime DeadlineCore => _deadline;
    protected override Metadata RequestHeadersCore => _requestHeaders ??= ConnectMetadata.FromRequestHeaders(_http.Request.Headers);
    protected override CancellationToken CancellationTokenCore => _cancellationToken;
    protected override Metadata ResponseTrailersCore { get; } = [];
    protected override Status StatusCore { get; set; }
    protected override WriteOptions? WriteOptionsCore { get; set; }
    protected override AuthContext AuthContextCore { get; } = new(null, new Dictionary<string, List<AuthProperty>>());

    protected override IDictionary<object, object> UserStateCore =>
        _userState ??= new Dictionary<object, object> { [HttpContextKey] = _http };

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("Context propagation applies to Grpc.Core clients, which Cleanroom does not use.");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders)
    {
        foreach (var entry in responseHeaders) ResponseHeaders.Add(entry);
        return _writeHeaders(responseHeaders);
    }
}
