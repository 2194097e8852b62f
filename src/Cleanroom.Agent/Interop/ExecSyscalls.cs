using System.Runtime.InteropServices;

namespace Cleanroom.Agent.Interop;

/// <summary>The calls the exec helper makes between its start and execve, in the order it makes them.</summary>
internal static unsafe class ExecSyscalls
{
    public static void NewSession()
    {
        if (LibC.SetSid() < 0)
            throw UnixException.FromLastError("setsid");
    }

    /// <summary>Makes the terminal on descriptor 0 the controlling terminal of the (new) session.</summary>
    public static void TakeControllingTerminalOnStdin()
    {
        if (LibC.Ioctl(0, LibC.TIOCSCTTY, null) != 0)
            throw UnixException.FromLastError("ioctl TIOCSCTTY");
    }

    public static void SetIdentity(uint uid, uint gid, IReadOnlyList<uint> groups)
    {
        var array = groups.ToArray();
        fixed (uint* p = array)
        {
            if (LibC.SetGroups((nuint)array.Length, p) != 0)
                throw UnixException.FromLastError("setgroups");
        }
        if (LibC.SetGid(gid) != 0)
            throw UnixException.FromLastError($"setgid {gid}");
        if (LibC.SetUid(uid) != 0)
            throw UnixException.FromLastError($"setuid {uid}");
    }

    public static void ChangeDirectory(string path)
    {
        fixed (byte* p = NativeStrings.Utf8Z(path))
            if (LibC.ChDir(p) != 0)
                throw UnixException.FromLastError($"chdir {path}");
    }

    /// <summary>
    /// Marks every descriptor from <paramref name="first"/> up close-on-exec, so descriptors the agent
    /// inherited from whoever started it never reach the command. Best effort: old kernels and gVisor
    /// releases without close_range keep relying on the agent's own O_CLOEXEC discipline.
    /// </summary>
    public static void CloseOnExecFrom(int first) =>
        LibC.Syscall3(LibC.SYS_close_range, first, unchecked((nint)uint.MaxValue), LibC.CLOSE_RANGE_CLOEXEC);

    /// <summary>
    /// execve keeps ignored signals ignored and keeps the signal mask; the .NET runtime ignores SIGPIPE,
    /// and a command that inherits that misbehaves (e.g. `yes | head` never ends). Reset both.
    /// Handlers the runtime installed are reset by execve itself.
    /// </summary>
    public static void ResetSignalsForExec()
    {
        var old = NativeMemory.AllocZeroed(LibC.SigActionSize);
        try
        {
            for (var signal = 1; signal < 65; signal++)
            {
                if (LibC.SigAction(signal, null, old) == 0 && *(nint*)old == LibC.SIG_IGN)
                    LibC.Signal(signal, LibC.SIG_DFL);
            }
        }
        finally
        {
            NativeMemory.Free(old);
        }
        var empty = stackalloc byte[LibC.SigSetSize];
        LibC.SigEmptySet(empty);
        LibC.PthreadSigMask(LibC.SIG_SETMASK, empty, null);
    }

    /// <summary>Returns only on failure, with the errno of execve.</summary>
    public static int Execve(NativeStringArray path, NativeStringArray argv, NativeStringArray environment)
    {
        LibC.Execve(path[0], argv.Pointer, environment.Pointer);
        return Marshal.GetLastPInvokeError();
    }

    public static void MountProc()
    {
        fixed (byte* source = NativeStrings.Utf8Z("proc"))
        fixed (byte* target = NativeStrings.Utf8Z("/proc"))
        fixed (byte* type = NativeStrings.Utf8Z("proc"))
        {
            if (LibC.Mount(source, target, type, 0, null) != 0)
                throw UnixException.FromLastError("mount /proc");
        }
    }
}
