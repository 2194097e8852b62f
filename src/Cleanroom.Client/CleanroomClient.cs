using System.Net.Http;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Errors;
using Cleanroom.Api.V1;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace Cleanroom.Client;

/// <summary>
/// A connection to a Cleanroom server (the CLI's and any program's): gRPC over HTTP/2 to a unix socket, a loopback
/// http address or an https address, with an optional bearer token and client certificate. Start with <see cref="FromEnvironment"/>, then <see cref="EnsureSandboxAsync"/> or
/// <see cref="CreateSandboxAsync"/> and run commands on the <see cref="Sandbox"/>. Every call throws
/// <see cref="Cleanroom.Errors.CleanroomException"/> with a stable code on failure: the server's (a
/// <see cref="RemoteErrorException"/>), or <see cref="ServerNotRunningException"/> when nothing listens at
/// <see cref="Address"/>. <see cref="Sandboxes"/>, <see cref="Executions"/>, <see cref="Workspaces"/>,
/// <see cref="Ports"/> and <see cref="System"/> are the generated clients for what this class does not wrap; they throw the same way.
/// </summary>
public sealed partial class CleanroomClient : IDisposable
{
    // Downloads and output chunks can exceed gRPC's 4 MB default; the server bounds what it sends.
    private const int MaxReceiveMessageBytes = 64 * 1024 * 1024;

    private readonly GrpcChannel _channel;

    /// <summary>Connects to <paramref name="address"/> with no token and no TLS files.</summary>
    public CleanroomClient(ApiAddress address)
        : this(new CleanroomClientOptions { Address = address })
    {
    }

    /// <summary>
    /// Connects to <paramref name="options"/>' address with its token and TLS files. The connection is made on the first
    /// call, not here; files are read here.
    /// </summary>
    /// <exception cref="Cleanroom.Errors.CleanroomException">
    /// invalid_argument for a token bound for plain HTTP off loopback, TLS files for a non-https address, or unreadable files.
    /// </exception>
    public CleanroomClient(CleanroomClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var address = options.Address;
        Address = address;
        if (options.Token is not null && address is HttpApiAddress { IsLoopback: false })
            throw new Cleanroom.Errors.CleanroomException(Cleanroom.Errors.ErrorCode.InvalidArgument,
                $"refusing to send a bearer token in cleartext to {address}; use https:// (or a loopback or unix address)");
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (context, token) => ApiSocketConnector.ConnectAsync(address, context, token),
            // Streams (follow mode) can outlive the default idle timeouts; keep the connection alive.
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = true,
        };
        // The handler runs TLS over the connect callback's stream itself when the URI is https.
        if (ClientTls.For(options) is { } ssl) handler.SslOptions = ssl;
        // For a unix socket the URI only fills the :authority header; the connect callback decides where to go.
        var baseAddress = address is TcpApiAddress tcp ? new Uri(tcp.ToString()) : new Uri("http://localhost");
        _channel = GrpcChannel.ForAddress(baseAddress, new GrpcChannelOptions
        {
            HttpHandler = TraceContextHandler.Wrap(options.TraceParent, options.Token is { } bearer ? new BearerTokenHandler(bearer, handler) : handler),
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxReceiveMessageBytes,
        });
        var invoker = _channel.Intercept(new ClientErrorInterceptor(address));
        Sandboxes = new SandboxService.SandboxServiceClient(invoker);
        Executions = new ExecutionService.ExecutionServiceClient(invoker);
        Workspaces = new WorkspaceService.WorkspaceServiceClient(invoker);
        Ports = new PortService.PortServiceClient(invoker);
        System = new SystemService.SystemServiceClient(invoker);
        Identity = new IdentityService.IdentityServiceClient(invoker);
    }

    /// <summary>Connects to <paramref name="hostFlag"/>, else <c>CLEANROOM_HOST</c>, else the default socket.</summary>
    public static CleanroomClient Create(string? hostFlag = null) => new(CleanroomClientOptions.ForClient(hostFlag));

    /// <summary>Connects where the CLI would: <c>CLEANROOM_HOST</c> when set, else the default socket for this user.</summary>
    public static CleanroomClient FromEnvironment() => new(CleanroomClientOptions.FromEnvironment());

    /// <summary>The server's address.</summary>
    public ApiAddress Address { get; }

    /// <summary>The generated cleanroom.v1.SandboxService client.</summary>
    public SandboxService.SandboxServiceClient Sandboxes { get; }

    /// <summary>The generated cleanroom.v1.ExecutionService client.</summary>
    public ExecutionService.ExecutionServiceClient Executions { get; }

    /// <summary>The generated cleanroom.v1.WorkspaceService client.</summary>
    public WorkspaceService.WorkspaceServiceClient Workspaces { get; }

    /// <summary>The generated cleanroom.v1.PortService client.</summary>
    public PortService.PortServiceClient Ports { get; }

    /// <summary>The generated cleanroom.v1.SystemService client (the host's storage: disk usage and prune).</summary>
    public SystemService.SystemServiceClient System { get; }

    /// <summary>The generated cleanroom.v1.IdentityService client: who the server takes this caller for.</summary>
    public IdentityService.IdentityServiceClient Identity { get; }

    /// <summary>Closes the connection. Sandboxes stay on the server.</summary>
    public void Dispose() => _channel.Dispose();
}
