using System.Runtime.InteropServices;

namespace Cleanroom.Agent.Interop;

/// <summary>A failed system call, with its errno and the call that failed.</summary>
internal sealed class UnixException : IOException
{
    public UnixException(string operation, int errno)
        : base($"{operation}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
    {
        Operation = operation;
        Errno = errno;
    }

    public string Operation { get; }

    public int Errno { get; }

    /// <summary>Throws for the errno of the P/Invoke that just failed.</summary>
    public static UnixException FromLastError(string operation) => new(operation, Marshal.GetLastPInvokeError());
}
