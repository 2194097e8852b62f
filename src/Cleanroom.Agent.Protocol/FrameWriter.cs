namespace Cleanroom.Agent.Protocol;

/// <summary>
/// Writes whole frames to a byte stream from any number of threads: each frame is one write under a
/// lock, so frames of different channels never interleave. The agent uses the blocking
/// <see cref="Write"/>; the host client uses <see cref="WriteAsync"/>. Do not mix both on one writer.
/// </summary>
public sealed class FrameWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly object _syncLock = new();
    private readonly SemaphoreSlim _asyncLock = new(1, 1);

    public FrameWriter(Stream stream) => _stream = stream;

    public void Write(FrameType type, uint channel, ReadOnlySpan<byte> payload)
    {
        var bytes = FrameCodec.Encode(type, channel, payload);
        lock (_syncLock)
        {
            _stream.Write(bytes);
            _stream.Flush();
        }
    }

    public async ValueTask WriteAsync(FrameType type, uint channel, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var bytes = FrameCodec.Encode(type, channel, payload.Span);
        await _asyncLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Not cancellable once started: a half-written frame would corrupt the stream for every channel.
            await _stream.WriteAsync(bytes, CancellationToken.None).ConfigureAwait(false);
            await _stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _asyncLock.Release();
        }
    }

    public void Dispose() => _asyncLock.Dispose();
}
