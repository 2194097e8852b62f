using Cleanroom.Agent.Interop;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent.Execution;

/// <summary>
/// A one-shot event that poll(2) can wait on next to a pipe or pty: a pipe whose read end becomes
/// readable, and stays readable, once <see cref="Set"/> is called. Lets a thread blocked on a
/// command's output also wake up for "stop" or "the command exited".
/// </summary>
internal sealed class WakeSignal : IDisposable
{
    private readonly SafeFileHandle _read;
    private readonly SafeFileHandle _write;
    private int _set;

    public WakeSignal()
    {
        (_read, _write) = FileDescriptors.CreatePipe();
        FileDescriptors.SetNonBlocking(_write);
    }

    public SafeFileHandle Handle => _read;

    public bool IsSet => Volatile.Read(ref _set) != 0;

    public void Set()
    {
        if (Interlocked.Exchange(ref _set, 1) != 0)
            return;
        try
        {
            FileDescriptors.Write(_write, [1]);
        }
        catch (ObjectDisposedException)
        {
            // Already released: nobody can be waiting on it.
        }
    }

    public void Dispose()
    {
        _write.Dispose();
        _read.Dispose();
    }
}
