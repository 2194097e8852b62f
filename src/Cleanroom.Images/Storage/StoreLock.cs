using Cleanroom.Images.Interop;

namespace Cleanroom.Images.Storage;

/// <summary>
/// Serialises changes to the reference table and garbage collection: an async gate for callers in this
/// process, and an flock on <c>&lt;root&gt;/lock</c> for other processes using the same store. Held only for
/// short critical sections (renames, index.json rewrites, GC), never while a layer is hashed or compressed.
/// </summary>
internal sealed class StoreLock(string layoutRoot)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly string path = Path.Combine(layoutRoot, "lock");

    public async Task<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var handle = FileSystemCalls.OpenLockFile(path);
            try
            {
                // flock blocks a thread; another process holds it only for a short critical section.
                await Task.Run(() => FileSystemCalls.LockExclusive(handle, path), cancellationToken).ConfigureAwait(false);
                return new Held(this, handle);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    private sealed class Held(StoreLock owner, Microsoft.Win32.SafeHandles.SafeFileHandle handle) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                FileSystemCalls.Unlock(handle);
                handle.Dispose();
                owner.gate.Release();
            }
        }
    }
}
