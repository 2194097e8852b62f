using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// Kestrel's transport for the gateway: instead of one socket bound at start, one listening socket per sandbox link,
/// bound to that link's host address only (<see cref="Bind"/>) while the sandbox lives. So the gateway port exists on
/// sandbox links and nowhere else on the host (no 0.0.0.0 listener that other networks could reach), and Kestrel
/// serves every link's connections through one pipeline. Kestrel binds the single <see cref="SandboxLinksEndPoint"/>.
/// </summary>
internal sealed class LinkListeners : IConnectionListenerFactory, IConnectionListenerFactorySelector, IConnectionListener
{
    private readonly Channel<ConnectionContext> _accepted = Channel.CreateUnbounded<ConnectionContext>();
    private readonly SocketConnectionContextFactory _connections;
    private readonly ILogger _logger;

    public LinkListeners(ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger<LinkListeners>();
        _connections = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), _logger);
    }

    public EndPoint EndPoint => SandboxLinksEndPoint.Instance;

    public bool CanBind(EndPoint endpoint) => endpoint is SandboxLinksEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IConnectionListener>(this);

    /// <summary>
    /// Listens on <paramref name="endpoint"/> (a link's host address and the gateway port) until the returned object is
    /// disposed. Throws <see cref="SocketException"/> when the address and port cannot be bound.
    /// </summary>
    public IAsyncDisposable Bind(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(64);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new LinkSocket(socket, this);
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException)
        {
            return null; // unbound: Kestrel's accept loop ends
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _accepted.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _accepted.Writer.TryComplete();
        _connections.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class LinkSocket : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public LinkSocket(Socket socket, LinkListeners owner)
        {
            _socket = socket;
            _loop = AcceptLoopAsync(owner);
        }

        private async Task AcceptLoopAsync(LinkListeners owner)
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket accepted;
                try
                {
                    accepted = await _socket.AcceptAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }

                accepted.NoDelay = true;
                if (!owner._accepted.Writer.TryWrite(owner._connections.Create(accepted)))
                    accepted.Dispose();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _socket.Dispose();
            await _loop;
            _stop.Dispose();
        }
    }
}

/// <summary>The one endpoint Kestrel binds for the gateway: "every sandbox link" (see <see cref="LinkListeners"/>).</summary>
internal sealed class SandboxLinksEndPoint : EndPoint
{
    public static SandboxLinksEndPoint Instance { get; } = new();

    public override string ToString() => "sandbox links";
}
