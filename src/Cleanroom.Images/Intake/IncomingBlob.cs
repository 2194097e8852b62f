using System.Security.Cryptography;
using Cleanroom.Errors;

namespace Cleanroom.Images;

/// <summary>
/// A blob arriving from outside (a registry download), written to a partial file in the store's <c>tmp/</c>
/// named after its digest, so a download that was cut off — in this pull or an earlier one — goes on from
/// <see cref="Length"/> instead of starting over. Bytes are hashed as they are written (the bytes already
/// there are hashed once when it is opened); <see cref="CompleteAsync"/> accepts the blob only when its size
/// and digest are the expected ones, and otherwise deletes it.
/// </summary>
public sealed class IncomingBlob : IAsyncDisposable
{
    private readonly FileStream file;
    private readonly Action<Digest, string> onVerified;
    private IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool finished;
    private long length;
    private int generation;
    private volatile FollowStatus status = FollowStatus.Arriving;
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private IncomingBlob(string path, FileStream file, Digest digest, long size, Action<Digest, string> onVerified)
    {
        PartialPath = path;
        this.file = file;
        Digest = digest;
        Size = size;
        this.onVerified = onVerified;
    }

    public Digest Digest { get; }

    /// <summary>The size the descriptor promises.</summary>
    public long Size { get; }

    /// <summary>Bytes held so far: where a Range request resumes.</summary>
    public long Length
    {
        get => Interlocked.Read(ref length);
        private set => Interlocked.Exchange(ref length, value);
    }

    internal enum FollowStatus
    {
        Arriving,
        Verified,
        Broken,
    }

    /// <summary>Completes at the next write, restart or end; followers wait on it.</summary>
    internal Task Changed => Volatile.Read(ref changed).Task;

    /// <summary>How many bytes were already there when it was opened (resumed from an earlier attempt).</summary>
    public long ResumedFrom { get; private set; }

    internal string PartialPath { get; }

    internal static async Task<IncomingBlob> OpenAsync(string directory, Digest digest, long size, Action<Digest, string> onVerified, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, digest.Hex + ".download");
        FileStream file;
        try
        {
            // FileShare.None takes an flock: another pull of the same blob (in any process) keeps its own file.
            file = Open(path);
        }
        catch (IOException)
        {
            path = Path.Combine(directory, $"{digest.Hex}-{Guid.NewGuid():N}.download");
            file = Open(path);
        }

        var blob = new IncomingBlob(path, file, digest, size, onVerified);
        try
        {
            await blob.HashExistingAsync(cancellationToken).ConfigureAwait(false);
            return blob;
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A stream of the blob's bytes as they arrive, from byte 0 (resumed bytes included), that ends once the blob is
    /// verified and fails if the download starts over or is discarded: a layer is unpacked while it downloads.
    /// </summary>
    public Stream Follow() => new BlobFollower(this, file.SafeFileHandle, Volatile.Read(ref generation));

    internal FollowStatus FollowState(int followedGeneration) =>
        followedGeneration != Volatile.Read(ref generation) ? FollowStatus.Broken : status;

    /// <summary>Appends bytes; refuses (as a digest mismatch) more bytes than the descriptor's size.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        if (Length + bytes.Length > Size)
        {
            await DiscardAsync().ConfigureAwait(false);
            throw new CleanroomException(ErrorCode.DigestMismatch,
                $"blob {Digest} is longer than the {Size} bytes its descriptor says; the download was discarded");
        }

        hash.AppendData(bytes.Span);
        await file.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        Length += bytes.Length;
        Signal();
    }

    /// <summary>Drops what is held and starts from byte 0 (the server would not resume, or the held bytes were bad).</summary>
    public void Restart()
    {
        Interlocked.Increment(ref generation);
        Signal();
        file.SetLength(0);
        file.Position = 0;
        hash.Dispose();
        hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Length = 0;
        ResumedFrom = 0;
    }

    /// <summary>
    /// Checks the size and digest. On success the blob waits in <c>tmp/</c> for <see cref="ImageIntake.CommitAsync"/>;
    /// on failure it is deleted and digest_mismatch thrown.
    /// </summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        file.Flush(flushToDisk: true);
        var actual = Digest.FromHash(hash.GetHashAndReset());
        if (Length != Size || actual != Digest)
        {
            await DiscardAsync().ConfigureAwait(false);
            throw new CleanroomException(ErrorCode.DigestMismatch, Length != Size
                ? $"blob {Digest} ended after {Length} of its {Size} bytes; the download was discarded"
                : $"blob {Digest} arrived with content that hashes to {actual}; the download was discarded");
        }

        finished = true;
        status = FollowStatus.Verified;
        Signal();
        await file.DisposeAsync().ConfigureAwait(false);
        onVerified(Digest, PartialPath);
    }

    /// <summary>Closes the file and deletes it.</summary>
    public async Task DiscardAsync()
    {
        status = FollowStatus.Broken;
        Signal();
        finished = true;
        await file.DisposeAsync().ConfigureAwait(false);
        File.Delete(PartialPath);
    }

    /// <summary>Closes the file; an incomplete download stays for the next attempt to resume.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!finished)
        {
            status = FollowStatus.Broken;
            Signal();
            await file.DisposeAsync().ConfigureAwait(false);
        }

        hash.Dispose();
    }

    private void Signal() =>
        Interlocked.Exchange(ref changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private static FileStream Open(string path) =>
        new(path, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.Asynchronous,
            BufferSize = 0,
        });

    private async Task HashExistingAsync(CancellationToken cancellationToken)
    {
        if (file.Length > Size)
        {
            file.SetLength(0);
        }

        var buffer = new byte[1 << 16];
        int read;
        while ((read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        Length = file.Length;
        ResumedFrom = Length;
    }
}
