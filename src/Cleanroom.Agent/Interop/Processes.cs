namespace Cleanroom.Agent.Interop;

/// <summary>Signals and waiting for children.</summary>
internal static unsafe class Processes
{
    public const int SIGHUP = 1, SIGINT = 2, SIGKILL = 9, SIGPIPE = 13, SIGTERM = 15, SIGCHLD = 17;

    /// <summary>Sends a signal; false if the process (group) no longer exists.</summary>
    public static bool Kill(int pid, int signal)
    {
        if (LibC.Kill(pid, signal) == 0)
            return true;
        var error = UnixException.FromLastError($"kill {pid} {signal}");
        if (error.Errno == Errno.ESRCH)
            return false;
        throw error;
    }

    /// <summary>
    /// Blocks until any child has exited and reports it WITHOUT reaping it (waitid with WNOWAIT), so
    /// its pid cannot be reused until <see cref="Reap"/>: the caller can mark the process dead first
    /// and never signal a stranger that got the same pid. Returns false when there are no children (ECHILD).
    /// </summary>
    public static bool WaitAnyExited(out int pid, out WaitStatus status)
    {
        var info = stackalloc byte[LibC.SigInfoSize];
        while (true)
        {
            new Span<byte>(info, LibC.SigInfoSize).Clear();
            if (LibC.WaitId(LibC.P_ALL, 0, info, LibC.WEXITED | LibC.WNOWAIT) == 0)
            {
                pid = *(int*)(info + LibC.SigInfoPidOffset);
                var code = *(int*)(info + LibC.SigInfoCodeOffset);
                var value = *(int*)(info + LibC.SigInfoStatusOffset);
                status = code == LibC.CLD_EXITED
                    ? new WaitStatus((value & 0xff) << 8)
                    : new WaitStatus((value & 0x7f) | (code == LibC.CLD_DUMPED ? 0x80 : 0));
                return true;
            }
            var error = UnixException.FromLastError("waitid");
            if (error.Errno == Errno.ECHILD)
            {
                pid = 0;
                status = default;
                return false;
            }
            if (error.Errno != Errno.EINTR)
                throw error;
        }
    }

    /// <summary>Reaps a child that <see cref="WaitAnyExited"/> reported.</summary>
    public static void Reap(int pid)
    {
        int raw;
        while (LibC.WaitPid(pid, &raw, LibC.WNOHANG) < 0)
        {
            var error = UnixException.FromLastError("waitpid");
            if (error.Errno != Errno.EINTR)
                return;
        }
    }

    /// <summary>
    /// The agent needs SIGCHLD at its default action: if it inherited SIG_IGN, the kernel would reap
    /// children itself and no exit code could ever be reported.
    /// </summary>
    public static void EnsureChildSignalDefault() => LibC.Signal(SIGCHLD, LibC.SIG_DFL);
}

/// <summary>A waitpid status word.</summary>
internal readonly record struct WaitStatus(int Raw)
{
    public bool Signaled => (Raw & 0x7f) != 0 && (Raw & 0x7f) != 0x7f;

    public int ExitCode => (Raw >> 8) & 0xff;

    public int TermSignal => Raw & 0x7f;

    /// <summary>The shell convention: the exit code, or 128+N for death by signal N.</summary>
    public int ShellExitCode => Signaled ? 128 + TermSignal : ExitCode;
}
