using System.Net.Sockets;
using System.Threading.Channels;
using Cleanroom.Api.Addressing;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Api.Transport;

/// <summary>
/// Owns one real listening socket and splits its connections between two Kestrel endpoints. It accepts, sniffs
/// each new connection for the HTTP/2 preface (each in its own task, so a silent client delays nobody), wraps the
/// untouched socket in Kestrel's own socket connection, and queues it for the HTTP/1.1 or the HTTP/2 lane.
/// From then on Kestrel reads and writes the socket directly: nothing here sits on the data path.
/// </summary>
internal sealed class SharedSocketListener : IAsyncDisposable
{
    private readonly ListeningSocket _listening;
    private readonly SocketConnectionContextFactory _connections;
    private readonly TimeSpan _sniffTimeout;
    private readonly ILogger _logger;
    private readonly Channel<ConnectionContext>[] _lanes =
        [Channel.CreateUnbounded<ConnectionContext>(), Channel.CreateUnbounded<ConnectionContext>(), Channel.CreateUnbounded<ConnectionContext>()];
    private readonly bool[] _laneTaken = new bool[3];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;
    private readonly bool _tls;
    private int _openLanes;
    private int _disposed;

    /// <param name="tls">
    /// An https address: one lane (<see cref="ConnectionLane.Tls"/>) takes every connection unsniffed, since its
    /// first bytes are a TLS ClientHello and ALPN chooses the HTTP version.
    /// </param>
    public SharedSocketListener(ListeningSocket listening, TimeSpan sniffTimeout, ILoggerFactory loggerFactory, bool tls = false)
    {
        _listening = listening;
        _tls = tls;
        _openLanes = tls ? 1 : 2;
        _sniffTimeout = sniffTimeout;
        _logger = loggerFactory.CreateLogger<SharedSocketListener>();
        _connections = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(),
            loggerFactory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The address as bound (with the real port for http port 0).</summary>
    public ApiAddress Address => _listening.Address;

    /// <summary>Raised once, after the socket is closed and its file removed.</summary>
    public event Action<SharedSocketListener>? Closed;

    public IConnectionListener OpenLane(ConnectionLane lane)
    {
        lock (_laneTaken)
        {
            if (_laneTaken[(int)lane]) throw new InvalidOperationException($"{Address} already has a {lane} listener");
            _laneTaken[(int)lane] = true;
        }
        return new LaneListener(this, lane, _lanes[(int)lane].Reader, new LaneEndPoint(Address, lane));
    }

    /// <summary>A lane is unbound: stop feeding it; when both are, stop listening altogether.</summary>
    public async ValueTask CloseLaneAsync(ConnectionLane lane)
    {
        if (!_lanes[(int)lane].Writer.TryComplete()) return;
        while (_lanes[(int)lane].Reader.TryRead(out var queued)) await queued.DisposeAsync().ConfigureAwait(false);
        if (Interlocked.Decrement(ref _openLanes) == 0) await DisposeAsync().ConfigureAwait(false);
    }

    private async Task AcceptLoopAsync()
    {
        await Task.Yield(); // Do not run the loop on the binding caller's stack.
        while (!_stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _listening.Socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // EMFILE, ECONNABORTED and the like concern one connection, not the listener.
                _logger.LogWarning(ex, "Accept on {Address} failed", Address);
                continue;
            }
            _ = RouteAsync(accepted);
        }
    }

    private async Task RouteAsync(Socket socket)
    {
        var lane = _tls
            ? ConnectionLane.Tls
            : await Http2PrefaceSniffer.SniffAsync(socket, _sniffTimeout, _stopping.Token).ConfigureAwait(false);
        if (lane is null)
        {
            _logger.LogDebug("Closed a connection on {Address} that sent no request within {Timeout}", Address, _sniffTimeout);
            socket.Dispose();
            return;
        }
        if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6) socket.NoDelay = true;
        ConnectionContext connection;
        try
        {
            // Read before Kestrel owns the socket: the unix peer's uid is a principal (Authentication/CallerResolver).
            var peer = PeerCredentials.Of(socket);
            connection = _connections.Create(socket);
            if (peer is not null) connection.Features.Set(peer);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            socket.Dispose(); // The client left, or we are shutting down.
            return;
        }
        if (!_lanes[(int)lane.Value].Writer.TryWrite(connection)) await connection.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        foreach (var channel in _lanes) channel.Writer.TryComplete();
        _stopping.Cancel();
        _listening.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        _connections.Dispose();
        Closed?.Invoke(this);
    }
}
