using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent.Interop;

/// <summary>
/// SIGIO for one descriptor, delivered to one thread only. A virtio-serial port tells its reader that the
/// host end connected or went away only by SIGIO (poll reports hang-up for as long as no host is connected,
/// so it cannot be waited on). SIGIO's default action ends the process, and the agent may be PID 1, so the
/// signal is blocked on the waiting thread before the descriptor is set to send it, and directed at that
/// thread's id (F_SETOWN_EX with F_OWNER_TID) rather than the process, where any thread could take it.
/// </summary>
internal static unsafe class AsyncSignals
{
    /// <summary>Blocks SIGIO on the calling thread and makes <paramref name="handle"/> send it here on every state change.</summary>
    public static void DirectToCallingThread(SafeFileHandle handle)
    {
        var set = stackalloc byte[LibC.SigSetSize];
        LibC.SigEmptySet(set);
        LibC.SigAddSet(set, LibC.SIGIO);
        if (LibC.PthreadSigMask(LibC.SIG_BLOCK, set, null) != 0)
            throw new UnixException("pthread_sigmask SIGIO", Errno.EPERM);

        var fd = (int)handle.DangerousGetHandle();
        var owner = stackalloc int[2];
        owner[0] = LibC.F_OWNER_TID;
        owner[1] = LibC.GetTid();
        if (LibC.FcntlPointer(fd, LibC.F_SETOWN_EX, owner) < 0)
            throw UnixException.FromLastError("fcntl F_SETOWN_EX");
        var flags = LibC.Fcntl(fd, LibC.F_GETFL, 0);
        if (flags < 0 || LibC.Fcntl(fd, LibC.F_SETFL, flags | LibC.O_ASYNC) < 0)
            throw UnixException.FromLastError("fcntl O_ASYNC");
    }

    /// <summary>Waits for a SIGIO on the calling thread (which must have called <see cref="DirectToCallingThread"/>); false on timeout.</summary>
    public static bool Wait(TimeSpan timeout)
    {
        var set = stackalloc byte[LibC.SigSetSize];
        LibC.SigEmptySet(set);
        LibC.SigAddSet(set, LibC.SIGIO);
        var info = stackalloc byte[LibC.SigInfoSize];
        var remaining = new LibC.TimeSpec { Seconds = (long)timeout.TotalSeconds, Nanoseconds = timeout.Milliseconds * 1_000_000L };
        while (true)
        {
            if (LibC.SigTimedWait(set, info, &remaining) == LibC.SIGIO)
                return true;
            var error = UnixException.FromLastError("sigtimedwait");
            if (error.Errno == Errno.EAGAIN)
                return false;
            if (error.Errno != Errno.EINTR)
                throw error;
        }
    }
}
