using System.Buffers.Binary;
using System.Threading.Channels;
using Cleanroom.Backends;

namespace Cleanroom.ControlPlane.Output;

/// <summary>
/// The writing side of one running execution's output log. It keeps the first
/// <c>MaxRetainedBytesPerStream</c> bytes of each stream (the head: what a replay from the start needs,
/// and where build errors usually begin), writes one truncation frame where a stream passes the limit,
/// and counts everything. Replays read the file up to <see cref="Snapshot"/>'s committed length. A live
/// follower (<see cref="SubscribeLive"/>) replays the file up to the moment it subscribed and then receives every
/// later chunk whole, so a client attached while the workload runs sees all of its output, not just what is kept.
/// Live delivery is bounded: a follower that does not read slows the workload (like a pipe), never the server's memory.
/// </summary>
internal sealed class ExecutionOutputLog : IDisposable
{
    private readonly FileStream _file;
    private readonly long _maxRetainedPerStream;
    private readonly StreamCount _stdout = new();
    private readonly StreamCount _stderr = new();
    private readonly ChangeSignal _changed = new();
    private readonly Lock _gate = new();
    private readonly List<Channel<OutputChunk>> _live = [];
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
        Channel<OutputChunk>[] live;
        lock (_gate)
        {
            count.Retained += keep;
            count.Total += chunk.Data.Length;
            _committedLength = _file.Position;
            // Taken with the committed length: a follower subscribed before this point gets the chunk from its
            // channel, one subscribed after it replays the chunk from the file; never both, never neither.
            live = _live.ToArray();
        }
        _changed.Pulse();
        foreach (var follower in live)
        {
            try
            {
                await follower.Writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                // The follower went away.
            }
        }
    }

    /// <summary>
    /// Starts live following: the file length to replay first, then a reader of every later chunk. Null when the
    /// output is already complete (the file then holds all there will be). Dispose the subscription when done.
    /// </summary>
    public LiveSubscription? SubscribeLive()
    {
        var channel = Channel.CreateBounded<OutputChunk>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
        lock (_gate)
        {
            if (_completed)
                return null;
            _live.Add(channel);
            return new LiveSubscription(_committedLength, channel.Reader, () =>
            {
                lock (_gate) _live.Remove(channel);
                channel.Writer.TryComplete();
            });
        }
    }

    /// <summary>No more output will come; called after the execution's final record is stored.</summary>
    public void Complete()
    {
        Channel<OutputChunk>[] live;
        lock (_gate)
        {
            _completed = true;
            live = _live.ToArray();
        }
        foreach (var follower in live)
            follower.Writer.TryComplete();
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

/// <summary>A live follower's view: replay the file up to <see cref="ReplayUpTo"/>, then read <see cref="Chunks"/>.</summary>
internal sealed class LiveSubscription(long replayUpTo, ChannelReader<OutputChunk> chunks, Action unsubscribe) : IDisposable
{
    public long ReplayUpTo { get; } = replayUpTo;

    public ChannelReader<OutputChunk> Chunks { get; } = chunks;

    public void Dispose() => unsubscribe();
}
