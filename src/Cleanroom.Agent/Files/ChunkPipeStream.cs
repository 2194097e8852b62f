using System.Collections.Concurrent;

namespace Cleanroom.Agent.Files;

/// <summary>
/// Hands FileData chunks from the frame reader's thread to a worker that reads them as a stream. The
/// queue is bounded: when the worker (unpacking to disk) falls behind, the frame reader blocks, which
/// is the same back-pressure a plain file write has.
/// </summary>
internal sealed class ChunkPipeStream : Stream
{
    private readonly BlockingCollection<byte[]> _chunks = new(boundedCapacity: 32);
    private byte[] _current = [];
    private int _offset;

    public long BytesReceived { get; private set; }

    /// <summary>Called by the frame reader. False once the reader side gave up (the worker failed).</summary>
    public bool Add(ReadOnlySpan<byte> chunk)
    {
        BytesReceived += chunk.Length;
        try
        {
            _chunks.Add(chunk.ToArray());
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The end of the data (FileEnd), or the worker stopping early.</summary>
    public void Complete() => _chunks.CompleteAdding();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_offset == _current.Length)
        {
            if (!_chunks.TryTake(out var next, Timeout.Infinite))
                return 0;
            _current = next;
            _offset = 0;
        }
        var take = Math.Min(buffer.Length, _current.Length - _offset);
        _current.AsSpan(_offset, take).CopyTo(buffer);
        _offset += take;
        return take;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
