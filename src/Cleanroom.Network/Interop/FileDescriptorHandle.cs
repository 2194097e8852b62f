using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Cleanroom.Network.Interop;

/// <summary>
/// An owned file descriptor. Calls borrow it through <see cref="Borrow"/>, so a concurrent Dispose closes
/// the descriptor only after the call returns, never under a blocked poll or recv.
/// </summary>
internal sealed class FileDescriptorHandle : SafeHandle
{
    public FileDescriptorHandle(int fd)
        : base(-1, ownsHandle: true)
    {
        SetHandle(fd);
    }

    public override bool IsInvalid => handle == -1;

    /// <summary>Creates a handle from a libc return value, throwing with errno when it failed.</summary>
    public static FileDescriptorHandle FromResult(int fd, string call) =>
        fd >= 0 ? new FileDescriptorHandle(fd) : throw new Win32Exception(Marshal.GetLastPInvokeError(), $"{call} failed");

    /// <summary>Keeps the descriptor open until the returned lease is disposed.</summary>
    public Lease Borrow()
    {
        var added = false;
        DangerousAddRef(ref added);
        return new Lease(this, (int)handle);
    }

    protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;

    public readonly struct Lease(FileDescriptorHandle owner, int fd) : IDisposable
    {
        public int Fd => fd;

        public void Dispose() => owner.DangerousRelease();
    }
}
