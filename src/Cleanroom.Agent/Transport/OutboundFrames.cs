using Cleanroom.Agent.Protocol;

namespace Cleanroom.Agent;

/// <summary>
/// The agent's sending side of the link: thread-safe whole-frame writes. A failed write means the host
/// is gone; it is logged once and reported as false, and the session ends when its reader sees the
/// end of the stream (or is told to stop through <see cref="Broken"/>).
/// </summary>
internal sealed class OutboundFrames(FrameWriter writer)
{
    private int _broken;

    /// <summary>Fires once, on the first failed write.</summary>
    public event Action? Broken;

    public bool IsBroken => Volatile.Read(ref _broken) != 0;

    public bool Send(FrameType type, uint channel, ReadOnlySpan<byte> payload)
    {
        if (IsBroken)
            return false;
        try
        {
            writer.Write(type, channel, payload);
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            if (Interlocked.Exchange(ref _broken, 1) == 0)
            {
                AgentLog.Error($"cannot write to the host: {e.Message}");
                Broken?.Invoke();
            }
            return false;
        }
    }

    public bool Send(FrameType type, uint channel) => Send(type, channel, ReadOnlySpan<byte>.Empty);
}
