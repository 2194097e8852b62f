namespace Cleanroom.Agent.Protocol;

/// <summary>
/// Writes whole frames to a byte stream from any number of threads: each frame is one write under a
/// lock, so frames of different channels never interleave. The agent uses the blocking
/// <see cref="Write"/>; the host client uses <see cref="WriteAsync"/>. Do not mix both on one writer.
/// The blocking writer encodes into one buffer it keeps, reused under its lock: in the agent a fresh array per
/// frame (up to 256 KiB of output each) was a large-object allocation, and inside gVisor the garbage collector's
/// page faults and unmaps it caused each cost a trip through the sentry.
/// </summary>
public sealed class FrameWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly object _syncLock = new();
    private readonly SemaphoreSlim _asyncLock = new(1, 1);
    private byte[] _frame = [];

    public FrameWriter(Stream stream) => _stream = stream;

    public void Write(FrameType type, uint channel, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[ProtocolConstants.HeaderSize];
        FrameCodec.WriteHeader(header, type, channel, payload.Length); // validates the length before anything grows
        lock (_syncLock)
        {
            var length = ProtocolConstants.HeaderSize + payload.Length;
            if (_frame.Length < length)
                _frame = new byte[Math.Max(length, Math.Min(_frame.Length * 2, ProtocolConstants.HeaderSize + ProtocolConstants.MaxPayloadSize))];
            header.CopyTo(_frame);
            payload.CopyTo(_frame.AsSpan(ProtocolConstants.HeaderSize));
            _stream.Write(_frame, 0, length);
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
