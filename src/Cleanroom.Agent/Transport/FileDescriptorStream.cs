using Cleanroom.Agent.Interop;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent;

/// <summary>
/// A Stream over a raw descriptor with plain read(2)/write(2). Unlike FileStream it keeps no buffer
/// and no position, so one thread may read while another writes on the same descriptor (a
/// virtio-serial port can be opened only once), and it works on pipes, ptys and character devices alike.
/// </summary>
internal sealed class FileDescriptorStream(SafeFileHandle handle, string name) : Stream
{
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
            return FileDescriptors.Read(handle, buffer);
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
            FileDescriptors.WriteAll(handle, buffer);
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
        if (disposing)
            handle.Dispose();
        base.Dispose(disposing);
    }
}
