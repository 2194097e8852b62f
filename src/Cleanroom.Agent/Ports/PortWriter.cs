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
    private readonly ChunkQueue _queue = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _dropped;

    public Task Completion => _completion.Task;

    public void Start() => new Thread(Run) { IsBackground = true, Name = $"port-{channel}" }.Start();

    public void Enqueue(byte[] data) => _queue.Add(data);

    public void End() => _queue.End();

    /// <summary>Stops writing: the connection failed or was dropped.</summary>
    public void Drop()
    {
        _dropped = true;
        _queue.End();
    }

    private void Run()
    {
        var broken = false; // the program closed or reset: keep granting credit, drop the data
        try
        {
            while (_queue.Take() is { } chunk)
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
