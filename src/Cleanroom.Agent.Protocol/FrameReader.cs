namespace Cleanroom.Agent.Protocol;

/// <summary>
/// Reads frames from a byte stream. Returns null on a clean end of stream (between frames);
/// throws <see cref="ProtocolException"/> when the stream ends inside a frame or a frame is oversized.
/// Unknown frame types are returned as they are: what to do with them is the caller's decision.
/// Not thread-safe: one reader per stream.
/// </summary>
public sealed class FrameReader
{
    private readonly Stream _stream;
    private readonly int _maxPayloadSize;
    private readonly byte[] _header = new byte[ProtocolConstants.HeaderSize];

    public FrameReader(Stream stream, int maxPayloadSize = ProtocolConstants.MaxPayloadSize)
    {
        _stream = stream;
        _maxPayloadSize = maxPayloadSize;
    }

    public Frame? Read()
    {
        if (!Fill(_header, allowCleanEof: true))
            return null;
        var (type, channel, length) = FrameCodec.ReadHeader(_header, _maxPayloadSize);
        var payload = length == 0 ? Array.Empty<byte>() : new byte[length];
        Fill(payload, allowCleanEof: false);
        return new Frame(type, channel, payload);
    }

    public async ValueTask<Frame?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!await FillAsync(_header, allowCleanEof: true, cancellationToken).ConfigureAwait(false))
            return null;
        var (type, channel, length) = FrameCodec.ReadHeader(_header, _maxPayloadSize);
        var payload = length == 0 ? Array.Empty<byte>() : new byte[length];
        await FillAsync(payload, allowCleanEof: false, cancellationToken).ConfigureAwait(false);
        return new Frame(type, channel, payload);
    }

    private bool Fill(byte[] buffer, bool allowCleanEof)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = _stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0)
                return EndOfStream(filled, allowCleanEof);
            filled += n;
        }
        return true;
    }

    private async ValueTask<bool> FillAsync(byte[] buffer, bool allowCleanEof, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await _stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0)
                return EndOfStream(filled, allowCleanEof);
            filled += n;
        }
        return true;
    }

    private static bool EndOfStream(int filled, bool allowCleanEof)
    {
        if (filled == 0 && allowCleanEof)
            return false;
        throw new ProtocolException("the stream ended in the middle of a frame");
    }
}
