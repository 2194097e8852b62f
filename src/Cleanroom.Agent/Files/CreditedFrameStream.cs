using Cleanroom.Agent.Execution;
using Cleanroom.Agent.Protocol;

namespace Cleanroom.Agent.Files;

/// <summary>
/// A write-only stream that sends what is written as FileData frames on one channel, in chunks of up to
/// <see cref="ProtocolConstants.DataChunkSize"/>, never beyond the host's credit: a writer (TarWriter, a
/// manifest) blocks here while the host is not reading. Small writes (tar headers) are gathered into
/// one frame.
/// </summary>
internal sealed class CreditedFrameStream(uint channel, OutboundFrames outbound, CreditWindow credit) : Stream
{
    private readonly byte[] _pending = new byte[ProtocolConstants.DataChunkSize];
    private int _pendingLength;

    /// <summary>Set when the host went away or stopped granting for good; writers stop.</summary>
    public bool Aborted { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var take = Math.Min(_pending.Length - _pendingLength, buffer.Length);
            buffer[..take].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += take;
            buffer = buffer[take..];
            if (_pendingLength == _pending.Length)
                SendPending();
        }
    }

    public override void Flush() => SendPending();

    private void SendPending()
    {
        var offset = 0;
        while (offset < _pendingLength)
        {
            var allowed = credit.Take(_pendingLength - offset);
            if (allowed == 0 || !outbound.Send(FrameType.FileData, channel, _pending.AsSpan(offset, allowed)))
            {
                Aborted = true;
                throw new IOException("the host stopped reading");
            }
            offset += allowed;
        }
        _pendingLength = 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
