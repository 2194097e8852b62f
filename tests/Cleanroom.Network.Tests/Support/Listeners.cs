using System.Net;
using System.Net.Sockets;

namespace Cleanroom.Network.Tests;

/// <summary>
/// A TCP listener that echoes what it reads and counts accepted connections, so a test can prove not
/// only that a probe failed but that nothing arrived. <see cref="Discard"/> makes it a sink for
/// throughput runs (read everything, then close).
/// </summary>
internal sealed class TcpEchoListener : IDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private int _accepted;

    public TcpEchoListener(Socket socket, IPEndPoint endpoint, bool discard = false)
    {
        _socket = socket;
        Discard = discard;
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(endpoint);
        _socket.Listen(128);
        Endpoint = (IPEndPoint)_socket.LocalEndPoint!;
        _ = AcceptLoopAsync();
    }

    public IPEndPoint Endpoint { get; }

    public bool Discard { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            var buffer = new byte[256 * 1024];
            try
            {
                while (true)
                {
                    var n = await client.ReceiveAsync(buffer, _stop.Token);
                    if (n == 0)
                        return;
                    if (!Discard)
                        await client.SendAsync(buffer.AsMemory(0, n), _stop.Token);
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }
}

/// <summary>A UDP socket that echoes every datagram and counts them.</summary>
internal sealed class UdpEchoListener : IDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private int _received;

    public UdpEchoListener(Socket socket, IPEndPoint endpoint)
    {
        _socket = socket;
        _socket.Bind(endpoint);
        _ = LoopAsync();
    }

    public int Received => Volatile.Read(ref _received);

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
    }

    private async Task LoopAsync()
    {
        var buffer = new byte[2048];
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var result = await _socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                Interlocked.Increment(ref _received);
                await _socket.SendToAsync(buffer.AsMemory(0, result.ReceivedBytes), result.RemoteEndPoint, _stop.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                if (_stop.IsCancellationRequested || e is ObjectDisposedException)
                    return;
            }
        }
    }
}
