using System.Net;
using System.Net.Sockets;
using Cleanroom.Agent.Execution;
using Cleanroom.Agent.Files;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Ports;

/// <summary>
/// One TCP connection the host asked for, from the agent to a port on the sandbox's own loopback: the agent is
/// inside the sandbox, so this reaches a server that listens on localhost only, and it opens nothing towards the
/// network (egress rules are untouched). The socket is read on the worker thread that connected, within the
/// host's output credit (a host that stops reading stops the read, and TCP pushes back on the program); what the
/// host sends is written by a <see cref="PortWriter"/> of its own, within the credit the agent grants.
/// </summary>
internal sealed class PortConnection : ICreditedTransfer
{
    /// <summary>How much the host may send before the agent has written some of it to the socket.</summary>
    public const uint InboundWindow = 256 * 1024;

    private readonly uint _channel;
    private readonly PortConnectMessage _request;
    private readonly OutboundFrames _outbound;
    private readonly CreditWindow _credit;
    private readonly TaskCompletionSource _readDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _socket;
    private PortWriter? _writer;
    private volatile bool _closed;

    public PortConnection(uint channel, PortConnectMessage request, OutboundFrames outbound)
    {
        _channel = channel;
        _request = request;
        _outbound = outbound;
        _credit = new CreditWindow(request.InitialCredit);
    }

    /// <summary>Completes when both directions are finished (or the connection failed or was dropped).</summary>
    public Task Completion => Task.WhenAll(_readDone.Task, _writer?.Completion ?? Task.CompletedTask);

    /// <summary>Connects and reads until the program in the sandbox closes its side; runs on a worker thread.</summary>
    public void Run()
    {
        try
        {
            _socket = Connect();
            if (_socket is null)
            {
                _outbound.Send(FrameType.Error, _channel, new ErrorMessage(AgentErrorCodes.ConnectionRefused,
                    $"nothing listens on port {_request.Port} in the sandbox (tried 127.0.0.1 and ::1)", 0).Encode());
                return;
            }
            _writer = new PortWriter(_socket, _channel, _outbound);
            _writer.Start();
            if (_closed)
            {
                _writer.Drop(); // dropped by the host while connecting
                return;
            }
            _outbound.Send(FrameType.PortConnected, _channel, new PortConnectedMessage(InboundWindow).Encode());
            ReadUntilEnd(_socket);
        }
        finally
        {
            _readDone.TrySetResult();
        }
    }

    private Socket? Connect()
    {
        foreach (var loopback in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            Socket? socket = null;
            try
            {
                // A guest kernel without IPv6 refuses the socket itself: that address is simply not there.
                socket = new Socket(loopback.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                socket.Connect(new IPEndPoint(loopback, _request.Port));
                return socket;
            }
            catch (SocketException e)
            {
                AgentLog.Debug($"port {_request.Port} on {loopback}: {e.SocketErrorCode}");
                socket?.Dispose();
            }
        }
        return null;
    }

    private void ReadUntilEnd(Socket socket)
    {
        var buffer = new byte[ProtocolConstants.DataChunkSize];
        try
        {
            while (true)
            {
                var allowed = _credit.Take(buffer.Length);
                if (allowed == 0)
                    return; // closed by the host or the connection ending
                var read = socket.Receive(buffer, 0, allowed, SocketFlags.None);
                _credit.Return(allowed - read);
                if (read == 0)
                {
                    _outbound.Send(FrameType.PortEnd, _channel, ReadOnlySpan<byte>.Empty);
                    return;
                }
                if (!_outbound.Send(FrameType.PortData, _channel, buffer.AsSpan(0, read)))
                    return;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (_closed)
                return;
            _writer?.Drop();
            _outbound.Send(FrameType.Error, _channel, new ErrorMessage(AgentErrorCodes.ConnectionReset,
                $"the connection to port {_request.Port} in the sandbox failed: {e.Message}", 0).Encode());
        }
    }

    /// <summary>PortData from the host, in order, for the socket.</summary>
    public void Append(ReadOnlySpan<byte> data) => _writer?.Enqueue(data.ToArray());

    /// <summary>PortEnd from the host: the socket's sending side is shut once everything before it is written.</summary>
    public void End() => _writer?.End();

    public void GrantCredit(uint bytes) => _credit.Grant(bytes);

    /// <summary>PortClose, or the connection to the host ending: drop the connection now.</summary>
    public void Abort()
    {
        _closed = true;
        _credit.Close();
        _writer?.Drop();
        _socket?.Dispose(); // wakes a Receive in progress
    }

    /// <summary>Releases the socket once both directions are done.</summary>
    public void Release() => _socket?.Dispose();
}
