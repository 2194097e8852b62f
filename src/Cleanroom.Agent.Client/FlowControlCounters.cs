namespace Cleanroom.Agent.Client;

/// <summary>
/// The output flow control of one execution or file read, as numbers: what the host allowed, what
/// arrived, what the consumer took. <see cref="PeakBuffered"/> never exceeds the window, whatever the
/// command writes and however slow the consumer is; that is the memory bound per execution.
/// </summary>
public sealed class FlowControlCounters
{
    private long _granted;
    private long _received;
    private long _consumed;
    private long _peakBuffered;

    public long Window { get; }

    internal FlowControlCounters(long window)
    {
        Window = window;
        _granted = window;
    }

    /// <summary>Credit given to the agent so far, the initial window included.</summary>
    public long CreditGranted => Interlocked.Read(ref _granted);

    public long BytesReceived => Interlocked.Read(ref _received);

    public long BytesConsumed => Interlocked.Read(ref _consumed);

    /// <summary>Bytes received and not yet taken by the consumer.</summary>
    public long Buffered => BytesReceived - BytesConsumed;

    public long PeakBuffered => Interlocked.Read(ref _peakBuffered);

    internal void AddGranted(long bytes) => Interlocked.Add(ref _granted, bytes);

    internal void AddConsumed(long bytes) => Interlocked.Add(ref _consumed, bytes);

    internal void AddReceived(long bytes)
    {
        Interlocked.Add(ref _received, bytes);
        var buffered = Buffered;
        long peak;
        while (buffered > (peak = Interlocked.Read(ref _peakBuffered)) &&
               Interlocked.CompareExchange(ref _peakBuffered, buffered, peak) != peak)
        {
        }
    }
}
