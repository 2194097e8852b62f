using System.Net.Sockets;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Ports;

/// <summary>
/// Writes what the host sends on a port channel to the socket, on a thread of its own so a program that does not
/// read never blocks the agent's frame reader. Each chunk written is granted back to the host (StdinCredit), so at
/// most <see cref="PortConnection.InboundWindow"/> bytes ever wait here. A null item is the host's end of data.
/// </summary>
internal sealed class PortWriter(Socket socket, uint channel, OutboundFrames outbound)
{
    private readonly Queue<byte[]?> _queue = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _ended;
    private volatile bool _dropped;

    public Task Completion => _completion.Task;

    public void Start() => new Thread(Run) { IsBackground = true, Name = $"port-{channel}" }.Start();

    public void Enqueue(byte[] data) => Add(data);

    public void End() => Add(null);

    /// <summary>Stops writing: the connection failed or was dropped.</summary>
    public void Drop()
    {
        _dropped = true;
        Add(null);
    }

    private void Add(byte[]? item)
    {
        lock (_queue)
        {
            if (_ended)
                return;
            _ended = item is null;
            _queue.Enqueue(item);
            Monitor.Pulse(_queue);
        }
    }

    private byte[]? Take()
    {
        lock (_queue)
        {
            while (_queue.Count == 0)
                Monitor.Wait(_queue);
            return _queue.Dequeue();
        }
    }

    private void Run()
    {
        var broken = false; // the program closed or reset: keep granting credit, drop the data
        try
        {
            while (Take() is { } chunk)
            {
                if (!broken && !_dropped)
                    broken = !Write(chunk);
                outbound.Send(FrameType.StdinCredit, channel, new CreditMessage((uint)chunk.Length).Encode());
            }
            if (!broken && !_dropped)
                socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            AgentLog.Debug($"port channel {channel}: {e.Message}");
        }
        finally
        {
            _completion.TrySetResult();
        }
    }

    private bool Write(byte[] chunk)
    {
        try
        {
            var offset = 0;
            while (offset < chunk.Length)
                offset += socket.Send(chunk, offset, chunk.Length - offset, SocketFlags.None);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            AgentLog.Debug($"port channel {channel}: write failed: {e.Message}");
            return false;
        }
    }
}
