namespace Cleanroom.Agent;

/// <summary>
/// Chunks handed from the frame reader to a writer thread, in order, then an end. Unbounded here because the host
/// may only send what the agent granted, so the credit bounds it. Anything added after the end is dropped.
/// </summary>
internal sealed class ChunkQueue
{
    private readonly Queue<byte[]?> _queue = new();
    private bool _ended;

    public void Add(byte[] chunk) => Enqueue(chunk);

    /// <summary>Ends the queue: <see cref="Take"/> returns null once the chunks before it are taken.</summary>
    public void End() => Enqueue(null);

    private void Enqueue(byte[]? item)
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

    /// <summary>The next chunk, waiting for one; null at the end.</summary>
    public byte[]? Take()
    {
        lock (_queue)
        {
            while (_queue.Count == 0)
                Monitor.Wait(_queue);
            return _queue.Dequeue();
        }
    }
}
