using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent.Interop;

/// <summary>A pty pair: the agent keeps the master, the command gets the slave as stdin/stdout/stderr.</summary>
internal sealed unsafe class PseudoTerminal : IDisposable
{
    private PseudoTerminal(SafeFileHandle master, SafeFileHandle slave, string slavePath)
    {
        Master = master;
        Slave = slave;
        SlavePath = slavePath;
    }

    public SafeFileHandle Master { get; }

    /// <summary>Closed by the agent once the command has it, so the master sees EIO when the command's side is gone.</summary>
    public SafeFileHandle Slave { get; }

    public string SlavePath { get; }

    public static PseudoTerminal Open(ushort rows, ushort columns)
    {
        var fd = LibC.PosixOpenPt(LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
        if (fd < 0)
            throw UnixException.FromLastError("posix_openpt");
        var master = FileDescriptors.Adopt(fd);
        try
        {
            if (LibC.GrantPt(fd) != 0)
                throw UnixException.FromLastError("grantpt");
            if (LibC.UnlockPt(fd) != 0)
                throw UnixException.FromLastError("unlockpt");
            byte* name = stackalloc byte[128];
            var rc = LibC.PtsNameR(fd, name, 128);
            if (rc != 0)
                throw new UnixException("ptsname_r", rc);
            var path = new string((sbyte*)name);
            // O_NOCTTY: the pty must become the controlling terminal of the command's session, not the agent's.
            var slave = FileDescriptors.OpenReadWrite(path, noControllingTerminal: true);
            var terminal = new PseudoTerminal(master, slave, path);
            if (rows > 0 && columns > 0)
                terminal.Resize(rows, columns);
            return terminal;
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    /// <summary>Sets the window size; the kernel sends SIGWINCH to the terminal's foreground process group.</summary>
    public void Resize(ushort rows, ushort columns) => SetWindowSize(Master, rows, columns);

    public static void SetWindowSize(SafeFileHandle terminal, ushort rows, ushort columns)
    {
        var size = new LibC.WinSize { Rows = rows, Columns = columns };
        var added = false;
        terminal.DangerousAddRef(ref added);
        try
        {
            if (LibC.Ioctl((int)terminal.DangerousGetHandle(), LibC.TIOCSWINSZ, &size) != 0)
                throw UnixException.FromLastError("ioctl TIOCSWINSZ");
        }
        finally
        {
            if (added) terminal.DangerousRelease();
        }
    }

    public void Dispose()
    {
        Slave.Dispose();
        Master.Dispose();
    }
}
