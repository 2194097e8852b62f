using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent.Interop;

/// <summary>
/// Plain read/write/pipe/poll on file descriptors held in SafeFileHandles. Every descriptor the agent
/// creates is close-on-exec; the spawner dup2's the ones a child should get onto 0, 1 and 2.
/// </summary>
internal static unsafe class FileDescriptors
{
    public static SafeFileHandle Adopt(int fd) => new((nint)fd, ownsHandle: true);

    public static SafeFileHandle Borrow(int fd) => new((nint)fd, ownsHandle: false);

    public static (SafeFileHandle Read, SafeFileHandle Write) CreatePipe()
    {
        int* fds = stackalloc int[2];
        if (LibC.Pipe2(fds, LibC.O_CLOEXEC) != 0)
            throw UnixException.FromLastError("pipe2");
        return (Adopt(fds[0]), Adopt(fds[1]));
    }

    public static SafeFileHandle OpenReadWrite(string path, bool noControllingTerminal)
    {
        var flags = LibC.O_RDWR | LibC.O_CLOEXEC | (noControllingTerminal ? LibC.O_NOCTTY : 0);
        fixed (byte* p = NativeStrings.Utf8Z(path))
        {
            var fd = LibC.Open(p, flags, 0);
            if (fd < 0)
                throw UnixException.FromLastError($"open {path}");
            return Adopt(fd);
        }
    }

    /// <summary>Blocking read; returns 0 at end of file. Retries on EINTR.</summary>
    public static int Read(SafeFileHandle handle, Span<byte> buffer)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    var n = LibC.Read((int)handle.DangerousGetHandle(), p, buffer.Length);
                    if (n >= 0)
                        return (int)n;
                    var error = UnixException.FromLastError("read");
                    if (error.Errno != Errno.EINTR)
                        throw error;
                }
            }
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>
    /// One write; returns the bytes written, or 0 when a non-blocking descriptor is full (EAGAIN).
    /// </summary>
    public static int Write(SafeFileHandle handle, ReadOnlySpan<byte> buffer)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    var n = LibC.Write((int)handle.DangerousGetHandle(), p, buffer.Length);
                    if (n >= 0)
                        return (int)n;
                    var error = UnixException.FromLastError("write");
                    if (error.Errno == Errno.EAGAIN)
                        return 0;
                    if (error.Errno != Errno.EINTR)
                        throw error;
                }
            }
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>Blocking write of the whole buffer.</summary>
    public static void WriteAll(SafeFileHandle handle, ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = Write(handle, buffer);
            buffer = buffer[n..];
        }
    }

    public static void SetNonBlocking(SafeFileHandle handle)
    {
        var fd = (int)handle.DangerousGetHandle();
        var flags = LibC.Fcntl(fd, LibC.F_GETFL, 0);
        if (flags < 0 || LibC.Fcntl(fd, LibC.F_SETFL, flags | LibC.O_NONBLOCK) < 0)
            throw UnixException.FromLastError("fcntl O_NONBLOCK");
    }

    /// <summary>F_SETPIPE_SZ; a kernel that refuses (a limit, an old gVisor) leaves the pipe as it was.</summary>
    public static bool TryGrowPipe(SafeFileHandle handle, int bytes) =>
        LibC.Fcntl((int)handle.DangerousGetHandle(), LibC.F_SETPIPE_SZ, bytes) >= 0;

    public static void SetCloseOnExec(SafeFileHandle handle)
    {
        if (LibC.Fcntl((int)handle.DangerousGetHandle(), LibC.F_SETFD, LibC.FD_CLOEXEC) < 0)
            throw UnixException.FromLastError("fcntl FD_CLOEXEC");
    }

    /// <summary>The events poll(2) reports for one descriptor (0 when the timeout passed first).</summary>
    public static short PollEvents(SafeFileHandle handle, short events, int timeoutMilliseconds)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var fd = new LibC.PollFd { Fd = (int)handle.DangerousGetHandle(), Events = events };
            while (true)
            {
                var n = LibC.Poll(&fd, 1, timeoutMilliseconds);
                if (n >= 0)
                    return n == 0 ? (short)0 : fd.Revents;
                var error = UnixException.FromLastError("poll");
                if (error.Errno != Errno.EINTR)
                    throw error;
            }
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>Replaces descriptor <paramref name="target"/> with /dev/null (used for stdout once its one line is written).</summary>
    public static void PointAtDevNull(int target)
    {
        using var devNull = OpenReadWrite("/dev/null", noControllingTerminal: true);
        if (LibC.Dup3((int)devNull.DangerousGetHandle(), target, 0) < 0)
            throw UnixException.FromLastError($"dup3 /dev/null onto {target}");
    }

    /// <summary>
    /// Waits until one of the descriptors is ready for its events (or has hung up), or the timeout
    /// (milliseconds, -1 for none) passes. Returns the index of the first ready descriptor, or -1 on timeout.
    /// </summary>
    public static int Poll(ReadOnlySpan<SafeFileHandle> handles, ReadOnlySpan<short> events, int timeoutMilliseconds)
    {
        var count = handles.Length;
        LibC.PollFd* fds = stackalloc LibC.PollFd[count];
        Span<bool> added = stackalloc bool[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                handles[i].DangerousAddRef(ref added[i]);
                fds[i] = new LibC.PollFd { Fd = (int)handles[i].DangerousGetHandle(), Events = events[i] };
            }
            while (true)
            {
                var n = LibC.Poll(fds, (nuint)count, timeoutMilliseconds);
                if (n == 0)
                    return -1;
                if (n > 0)
                {
                    for (var i = 0; i < count; i++)
                        if (fds[i].Revents != 0)
                            return i;
                }
                var error = UnixException.FromLastError("poll");
                if (error.Errno != Errno.EINTR)
                    throw error;
            }
        }
        finally
        {
            for (var i = 0; i < count; i++)
                if (added[i]) handles[i].DangerousRelease();
        }
    }
}
