using Cleanroom.Agent.Interop;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent;

/// <summary>
/// One host connection over a non-blocking virtio-serial port (owned by <see cref="SerialChannel"/>). Reads
/// wait with poll and return 0 once the host has gone; writes wait for room and fail once the host has gone,
/// so nothing of this session can reach the next host.
/// </summary>
internal sealed class SerialSessionStream(SafeFileHandle port, string name) : Stream
{
    private volatile bool _ended;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            while (!_ended)
            {
                try
                {
                    var n = FileDescriptors.Read(port, buffer);
                    if (n == 0)
                        _ended = true;
                    return n;
                }
                catch (UnixException e) when (e.Errno == Errno.EAGAIN)
                {
                    FileDescriptors.PollEvents(port, LibC.POLLIN, -1);
                }
            }
            return 0;
        }
        catch (UnixException e)
        {
            throw new IOException($"{name}: {e.Message}", e);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            while (!buffer.IsEmpty)
            {
                if (_ended)
                    throw new IOException($"{name}: the host went away");
                var n = FileDescriptors.Write(port, buffer);
                if (n > 0)
                {
                    buffer = buffer[n..];
                    continue;
                }
                if ((FileDescriptors.PollEvents(port, LibC.POLLOUT, -1) & LibC.POLLHUP) != 0)
                    _ended = true;
            }
        }
        catch (UnixException e)
        {
            throw new IOException($"{name}: {e.Message}", e);
        }
    }

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _ended = true; // the port itself belongs to the channel
        base.Dispose(disposing);
    }
}
