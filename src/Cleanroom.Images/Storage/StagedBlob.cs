namespace Cleanroom.Images.Storage;

/// <summary>
/// A blob written in full, fsync'd and hashed, still under a temporary name. <see cref="BlobStore.Commit"/>
/// renames it to its digest; disposing an uncommitted one deletes the temporary file, so a failed import
/// leaves nothing behind.
/// </summary>
internal sealed class StagedBlob(string temporaryPath, Digest digest, long size) : IDisposable
{
    public string TemporaryPath { get; } = temporaryPath;
    public Digest Digest { get; } = digest;
    public long Size { get; } = size;
    public bool Committed { get; private set; }

    internal void MarkCommitted() => Committed = true;

    public void Dispose()
    {
        if (!Committed)
        {
            File.Delete(TemporaryPath);
        }
    }
}
