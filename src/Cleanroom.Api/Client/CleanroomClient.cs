using System.Net.Http;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Errors;
using Cleanroom.Api.V1;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace Cleanroom.Api.Client;

/// <summary>
/// The CLI's connection to a Cleanroom server: gRPC over HTTP/2 to a unix socket or a loopback http address.
/// Calls through <see cref="Sandboxes"/> and <see cref="Executions"/> throw <see cref="Cleanroom.Errors.CleanroomException"/>
/// with the server's stable code (a <see cref="RemoteErrorException"/>), or <see cref="ServerNotRunningException"/>
/// when nothing listens at <see cref="Address"/>.
/// </summary>
public sealed class CleanroomClient : IDisposable
{
    // Downloads and output chunks can exceed gRPC's 4 MB default; the server bounds what it sends.
    private const int MaxReceiveMessageBytes = 64 * 1024 * 1024;

    private readonly GrpcChannel _channel;

    public CleanroomClient(ApiAddress address)
    {
        Address = address;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (context, token) => ApiSocketConnector.ConnectAsync(address, context, token),
            // Streams (follow mode) can outlive the default idle timeouts; keep the connection alive.
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = true,
        };
        // For a unix socket the URI only fills the :authority header; the connect callback decides where to go.
        var baseAddress = address is HttpApiAddress http ? new Uri(http.ToString()) : new Uri("http://localhost");
        _channel = GrpcChannel.ForAddress(baseAddress, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxReceiveMessageBytes,
        });
        var invoker = _channel.Intercept(new ClientErrorInterceptor(address));
        Sandboxes = new SandboxService.SandboxServiceClient(invoker);
        Executions = new ExecutionService.ExecutionServiceClient(invoker);
        Workspaces = new WorkspaceService.WorkspaceServiceClient(invoker);
        Ports = new PortService.PortServiceClient(invoker);
    }

    /// <summary>Connects to <paramref name="hostFlag"/>, else <c>CLEANROOM_HOST</c>, else the default socket.</summary>
    public static CleanroomClient Create(string? hostFlag = null) => new(DefaultApiAddress.ForClient(hostFlag));

    public ApiAddress Address { get; }

    public SandboxService.SandboxServiceClient Sandboxes { get; }

    public ExecutionService.ExecutionServiceClient Executions { get; }

    public WorkspaceService.WorkspaceServiceClient Workspaces { get; }

    public PortService.PortServiceClient Ports { get; }

    public void Dispose() => _channel.Dispose();
}
