using System.Runtime.InteropServices;

namespace Cleanroom.Backends.Gvisor.Interop;

/// <summary>A failed libc call: which call on what, and errno with its text, so a message says what the kernel refused.</summary>
internal sealed class SystemCallException(int errno, string call)
    : IOException($"{call}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
{
    public int Errno { get; } = errno;

    /// <summary>The exception for the libc call that just failed on this thread.</summary>
    public static SystemCallException Last(string call) => new(Marshal.GetLastPInvokeError(), call);
}
