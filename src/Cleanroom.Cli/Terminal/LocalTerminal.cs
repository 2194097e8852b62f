using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Terminal;

/// <summary>The terminal this process runs in, if any: whether stdin and stdout are one, its size, and raw mode.</summary>
internal static class LocalTerminal
{
    public static bool StdinIsTerminal => TerminalCalls.IsATty(TerminalCalls.StdinFileno) == 1;

    /// <summary>The window's size from stdout's terminal, else stdin's; null when neither is a terminal.</summary>
    public static (ushort Rows, ushort Columns)? Size()
    {
        Span<byte> winsize = stackalloc byte[TerminalCalls.WinsizeSize];
        foreach (var fd in new[] { TerminalCalls.StdoutFileno, TerminalCalls.StdinFileno })
        {
            if (TerminalCalls.IoctlWinsize(fd, TerminalCalls.Tiocgwinsz, winsize) == 0)
            {
                var rows = BinaryPrimitives.ReadUInt16LittleEndian(winsize);
                var columns = BinaryPrimitives.ReadUInt16LittleEndian(winsize[2..]);
                if (rows > 0 && columns > 0)
                {
                    return (rows, columns);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Puts stdin's terminal in raw mode (every key goes to the sandbox as typed, Ctrl-C included, no local echo)
    /// until the returned mode is disposed. Null when stdin is no terminal.
    /// </summary>
    public static RawMode? EnterRawMode()
    {
        if (!StdinIsTerminal)
        {
            return null;
        }

        var saved = new byte[TerminalCalls.TermiosSize];
        if (TerminalCalls.TcGetAttr(TerminalCalls.StdinFileno, saved) != 0)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, $"cannot read the terminal's settings (errno {Marshal.GetLastPInvokeError()})");
        }

        var raw = (byte[])saved.Clone();
        TerminalCalls.CfMakeRaw(raw);
        if (TerminalCalls.TcSetAttr(TerminalCalls.StdinFileno, TerminalCalls.TcsaNow, raw) != 0)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, $"cannot put the terminal in raw mode (errno {Marshal.GetLastPInvokeError()})");
        }

        return new RawMode(saved);
    }
}

/// <summary>
/// A terminal in raw mode, and the settings to put back. Restoring happens once, from whichever exit comes
/// first: the session's end, an exception, a signal to the client, or the process exiting.
/// </summary>
internal sealed class RawMode : IDisposable
{
    private readonly byte[] _saved;
    private int _restored;

    public RawMode(byte[] saved)
    {
        _saved = saved;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Restore();
    }

    /// <summary>Puts the saved settings back; later calls do nothing. Safe from a signal handler's thread.</summary>
    public void Restore()
    {
        if (Interlocked.Exchange(ref _restored, 1) == 0)
        {
            _ = TerminalCalls.TcSetAttr(TerminalCalls.StdinFileno, TerminalCalls.TcsaNow, _saved);
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Restore();
}
