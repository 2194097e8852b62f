namespace Cleanroom.Agent.Client;

/// <summary>
/// The host's side of an output window: checks that the agent never sends more than it was granted
/// (the guest is untrusted, so an overrun is a protocol violation, not a reason to buffer more), and
/// gives credit back as the consumer takes data, in batches of a quarter window to keep grants rare.
/// </summary>
internal sealed class OutputCreditLedger
{
    private readonly Func<uint, Task> _sendGrant;
    private readonly object _lock = new();
    private long _outstanding;
    private long _unreported;

    public OutputCreditLedger(int window, Func<uint, Task> sendGrant)
    {
        if (window < 4)
            throw new ArgumentOutOfRangeException(nameof(window), "the output window must be at least 4 bytes");
        _sendGrant = sendGrant;
        _outstanding = window;
        Counters = new FlowControlCounters(window);
    }

    public FlowControlCounters Counters { get; }

    public uint InitialCredit => (uint)Counters.Window;

    /// <summary>False when the agent overran its credit.</summary>
    public bool TryReceive(int bytes)
    {
        lock (_lock)
        {
            if (bytes > _outstanding)
                return false;
            _outstanding -= bytes;
        }
        Counters.AddReceived(bytes);
        return true;
    }

    public void Consumed(int bytes)
    {
        Counters.AddConsumed(bytes);
        uint grant;
        lock (_lock)
        {
            _unreported += bytes;
            if (_unreported < Counters.Window / 4)
                return;
            grant = (uint)_unreported;
            _outstanding += _unreported;
            _unreported = 0;
        }
        Counters.AddGranted(grant);
        _ = SendGrantAsync(grant);
    }

    private async Task SendGrantAsync(uint grant)
    {
        try
        {
            await _sendGrant(grant).ConfigureAwait(false);
        }
        catch (AgentException)
        {
            // The connection is gone; the execution fails through the connection, not here.
        }
    }
}
