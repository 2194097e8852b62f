using System.Runtime.InteropServices;
using Cleanroom.HostProcesses;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Backends.Qemu.Host;

/// <summary>
/// QEMU processes of this backend that the server may no longer hold as children (after a restart): found by
/// their command line (<see cref="ProcessTable"/>), which names the sandbox (<c>-name cleanroom-&lt;id&gt;</c>) and a pidfile in our
/// sandbox root. Killed with SIGKILL, and their end awaited on a pidfd, not by polling.
/// </summary>
internal static partial class HostPids
{
    private const int SIGKILL = 9;
    private const long SYS_pidfd_open = 434;
    private const short POLLIN = 1;

    /// <summary>Every QEMU started with a pidfile under <paramref name="sandboxRoot"/>, with the guest name it carries.</summary>
    public static IReadOnlyList<(int Pid, string GuestName)> QemusUnder(string sandboxRoot)
    {
        var prefix = sandboxRoot.TrimEnd('/') + "/";
        var found = new List<(int, string)>();
        foreach (var (pid, argv) in ProcessTable.All())
        {
            var pidfile = ValueAfter(argv, "-pidfile");
            var name = ValueAfter(argv, "-name");
            if (pidfile is not null && name is not null && pidfile.StartsWith(prefix, StringComparison.Ordinal))
                found.Add((pid, name));
        }
        return found;
    }

    /// <summary>The pid in a QEMU pidfile, if that process still runs with the given guest name (a pid can be reused).</summary>
    public static int? FromPidFile(string pidFile, string guestName)
    {
        try
        {
            if (!int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
                return null;
            return ProcessTable.CommandLine(pid) is { } argv && ValueAfter(argv, "-name") == guestName ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>SIGKILLs <paramref name="pid"/> and waits up to <paramref name="timeout"/> for it to be gone. True when it is.</summary>
    public static bool KillAndWait(int pid, TimeSpan timeout) => WaitForExit(pid, timeout, kill: true);

    /// <summary>Waits up to <paramref name="timeout"/> for <paramref name="pid"/> (not necessarily our child) to end. True when it has.</summary>
    public static bool WaitForExit(int pid, TimeSpan timeout) => WaitForExit(pid, timeout, kill: false);

    /// <summary>SIGKILL without waiting; a process already gone is not an error.</summary>
    public static void Kill(int pid) => Kill(pid, SIGKILL);

    private static bool WaitForExit(int pid, TimeSpan timeout, bool kill)
    {
        var fd = PidFdOpen(pid, 0);
        if (fd < 0)
            return true; // ESRCH: already gone
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (kill && Kill(pid, SIGKILL) != 0 && Marshal.GetLastPInvokeError() == 3 /* ESRCH */)
            return true;
        var poll = new PollFd { Fd = fd, Events = POLLIN };
        var end = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            var remaining = (int)Math.Max(0, end - Environment.TickCount64);
            var ready = Poll(ref poll, 1, remaining);
            if (ready > 0)
                return true;
            if (ready == 0 || Marshal.GetLastPInvokeError() != 4 /* EINTR */)
                return false;
        }
    }

    private static string? ValueAfter(string[] argv, string flag)
    {
        var index = Array.IndexOf(argv, flag);
        return index >= 0 && index + 1 < argv.Length ? argv[index + 1] : null;
    }

    private static int PidFdOpen(int pid, uint flags) => (int)Syscall(SYS_pidfd_open, pid, flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int pid, uint flags);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(ref PollFd fds, nuint count, int timeoutMilliseconds);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
