using System.Buffers.Binary;
using Cleanroom.Backends;

namespace Cleanroom.ControlPlane.Output;

/// <summary>
/// The writing side of one running execution's output log. It keeps the first
/// <c>MaxRetainedBytesPerStream</c> bytes of each stream (the head: what a replay from the start needs,
/// and where build errors usually begin), writes one truncation frame where a stream passes the limit,
/// and counts everything. Followers read the file themselves up to <see cref="Snapshot"/>'s committed
/// length, so a slow follower never slows the workload.
/// </summary>
internal sealed class ExecutionOutputLog : IDisposable
{
    private readonly FileStream _file;
    private readonly long _maxRetainedPerStream;
    private readonly StreamCount _stdout = new();
    private readonly StreamCount _stderr = new();
    private readonly ChangeSignal _changed = new();
    private readonly Lock _gate = new();
    private long _committedLength;
    private bool _completed;

    public ExecutionOutputLog(string path, long maxRetainedPerStream)
    {
        Path = path;
        _maxRetainedPerStream = maxRetainedPerStream;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        // Unbuffered: each frame goes to the kernel in one write, so what is committed survives kill -9.
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, useAsync: true);
    }

    public string Path { get; }

    /// <summary>Stores a chunk, or the part of it within the limit; only the pump of this execution calls this.</summary>
    public async Task AppendAsync(OutputChunk chunk, CancellationToken cancellationToken)
    {
        var count = chunk.Stream == OutputStream.Stdout ? _stdout : _stderr;
        var kind = OutputLogFormat.KindOf(chunk.Stream);
        var keep = (int)Math.Min(chunk.Data.Length, Math.Max(0, _maxRetainedPerStream - count.Retained));
        if (keep > 0)
            await WriteFrameAsync(kind, chunk.Data[..keep], cancellationToken).ConfigureAwait(false);
        if (keep < chunk.Data.Length && !count.Truncated)
        {
            await WriteFrameAsync(OutputLogFormat.TruncatedKind, new[] { kind }, cancellationToken).ConfigureAwait(false);
            count.Truncated = true;
        }
        lock (_gate)
        {
            count.Retained += keep;
            count.Total += chunk.Data.Length;
            _committedLength = _file.Position;
        }
        _changed.Pulse();
    }

    /// <summary>No more output will come; called after the execution's final record is stored.</summary>
    public void Complete()
    {
        lock (_gate) _completed = true;
        _changed.Pulse();
    }

    /// <summary>
    /// What a follower may read now, whether more can come, and a task that completes on the next change.
    /// Taken together under one lock so a follower that sees "not completed" is sure to be woken later.
    /// </summary>
    public (long CommittedLength, bool Completed, Task NextChange) Snapshot()
    {
        lock (_gate) return (_committedLength, _completed, _changed.NextChange);
    }

    public OutputSummary Summary(OutputStream stream)
    {
        var count = stream == OutputStream.Stdout ? _stdout : _stderr;
        lock (_gate) return new OutputSummary(count.Total, count.Retained);
    }

    public void Dispose() => _file.Dispose();

    private async Task WriteFrameAsync(byte kind, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var frame = new byte[OutputLogFormat.HeaderLength + payload.Length];
        frame[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(1, 4), payload.Length);
        payload.Span.CopyTo(frame.AsSpan(OutputLogFormat.HeaderLength));
        await _file.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
    }

    private sealed class StreamCount
    {
        public long Total;
        public long Retained;
        public bool Truncated;
    }
}
