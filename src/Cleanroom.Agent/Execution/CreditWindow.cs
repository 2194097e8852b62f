namespace Cleanroom.Agent.Execution;

/// <summary>
/// Bytes the agent may still send on one channel. The host grants more as its consumer drains
/// what it has; a pump that finds the window empty blocks here instead of reading the command's
/// pipe, so the command blocks on its own write and nothing piles up in the agent.
/// </summary>
internal sealed class CreditWindow(long initial)
{
    private readonly object _lock = new();
    private long _available = initial;
    private bool _closed;

    public long Available
    {
        get { lock (_lock) return _available; }
    }

    public void Grant(uint bytes)
    {
        lock (_lock)
        {
            _available += bytes;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Takes up to <paramref name="max"/> bytes, blocking while none are available. Returns 0 once closed.</summary>
    public int Take(int max)
    {
        lock (_lock)
        {
            while (_available == 0 && !_closed)
                Monitor.Wait(_lock);
            if (_closed)
                return 0;
            var taken = (int)Math.Min(max, _available);
            _available -= taken;
            return taken;
        }
    }

    /// <summary>Gives back the part of a <see cref="Take"/> that was not used.</summary>
    public void Return(int bytes)
    {
        if (bytes > 0)
            Grant((uint)bytes);
    }

    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            Monitor.PulseAll(_lock);
        }
    }
}
