using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Images;

/// <summary>
/// Reads a blob while it downloads: the bytes <see cref="IncomingBlob"/> has written so far, then waits for more, and
/// ends only once the blob's digest was verified. It reads the download's own file handle at its own offset (the
/// partial file is locked against other opens), holding a reference so the handle outlives the download's close.
/// When the download starts over or is discarded, reading fails: what was read is not the blob.
/// </summary>
internal sealed class BlobFollower : ForwardReadStream
{
    private readonly IncomingBlob blob;
    private readonly SafeFileHandle handle;
    private readonly int generation;
    private long position;
    private bool released;

    public BlobFollower(IncomingBlob blob, SafeFileHandle handle, int generation)
    {
        this.blob = blob;
        this.handle = handle;
        this.generation = generation;
        var added = false;
        handle.DangerousAddRef(ref added);
    }

    public override long Position
    {
        get => position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            // The signal first: a write that lands after the checks below still wakes us.
            var changed = blob.Changed;
            var state = blob.FollowState(generation);
            if (state == IncomingBlob.FollowStatus.Broken)
            {
                throw new IOException($"the download of blob {blob.Digest} started over or was discarded while it was being unpacked");
            }

            var available = blob.Length - position;
            if (available > 0)
            {
                var read = await RandomAccess.ReadAsync(handle, buffer[..(int)Math.Min(buffer.Length, available)], position, cancellationToken).ConfigureAwait(false);
                position += read;
                return read;
            }

            if (state == IncomingBlob.FollowStatus.Verified)
            {
                return 0;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !released)
        {
            released = true;
            handle.DangerousRelease();
        }

        base.Dispose(disposing);
    }
}
