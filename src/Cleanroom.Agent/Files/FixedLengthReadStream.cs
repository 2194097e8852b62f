namespace Cleanroom.Agent.Files;

/// <summary>
/// Exactly <paramref name="length"/> bytes of a file: what lstat said when its tar header was written.
/// A file the sandbox grows meanwhile is cut there, one it shrinks is padded with zeros, so the tar
/// stream stays well-formed whatever the workload does to the file during the transfer.
/// </summary>
internal sealed class FixedLengthReadStream(Stream inner, long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    // "Seekable" only so TarWriter takes Length - Position as the entry size instead of buffering.
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var remaining = length - _position;
        if (remaining <= 0)
            return 0;
        var want = (int)Math.Min(buffer.Length, remaining);
        var read = inner.Read(buffer[..want]);
        if (read == 0)
        {
            buffer[..want].Clear();
            read = want;
        }
        _position += read;
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) =>
        (origin == SeekOrigin.Current && offset == 0) || (origin == SeekOrigin.Begin && offset == _position)
            ? _position
            : throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
