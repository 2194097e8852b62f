using System.Net;
using System.Net.Sockets;
using Cleanroom.ControlPlane;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Ports;

/// <summary>
/// One host address and port the server listens on for a sandbox: every accepted connection is carried to the guest
/// port by a <see cref="PortPump"/>. Bound in the constructor (so a taken port fails before anything else is made),
/// accepting once <see cref="Start"/> is called, and closed with every connection it carries on dispose.
/// </summary>
internal sealed class TcpExposure : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _sandboxId;
    private readonly ushort _guestPort;
    private readonly SandboxControl _control;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private readonly HashSet<Task> _connections = [];
    private Task _accepting = Task.CompletedTask;

    /// <exception cref="SocketException">The address cannot be bound (in use, not an address of this host).</exception>
    public TcpExposure(IPEndPoint endpoint, string sandboxId, ushort guestPort, SandboxControl control, ILogger logger)
    {
        _sandboxId = sandboxId;
        _guestPort = guestPort;
        _control = control;
        _logger = logger;
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(endpoint);
            _listener.Listen(128);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        Endpoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>The address and port actually bound (the chosen port when 0 was asked for).</summary>
    public IPEndPoint Endpoint { get; }

    public ushort GuestPort => _guestPort;

    public void Start() => _accepting = AcceptAsync();

    private async Task AcceptAsync()
    {
        while (!_closing.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_closing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_closing.IsCancellationRequested)
                    return;
                _logger.LogWarning("exposure {Endpoint} of sandbox {SandboxId}: accept failed: {Message}", Endpoint, _sandboxId, e.Message);
                continue;
            }
            client.NoDelay = true;
            var connection = CarryAsync(client);
            lock (_connections)
                _connections.Add(connection);
            _ = connection.ContinueWith(done => { lock (_connections) _connections.Remove(done); }, TaskScheduler.Default);
        }
    }

    private async Task CarryAsync(Socket client)
    {
        using (client)
        {
            try
            {
                await using var sandbox = await _control.Ports(_sandboxId).ConnectPortAsync(_guestPort, _closing.Token).ConfigureAwait(false);
                await PortPump.RunAsync(client, sandbox, _closing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Cleanroom.Errors.CleanroomException or OperationCanceledException or IOException or ObjectDisposedException)
            {
                // Nothing listens in the sandbox (yet), or the sandbox is going away: the client sees the connection close.
                _logger.LogDebug("exposure {Endpoint} -> sandbox {SandboxId} port {GuestPort}: {Message}", Endpoint, _sandboxId, _guestPort, e.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested)
            return;
        _closing.Cancel();
        _listener.Dispose();
        Task[] connections;
        lock (_connections)
            connections = [.. _connections];
        await Task.WhenAll(connections.Append(_accepting)).ConfigureAwait(false);
        _closing.Dispose();
    }
}
