using Cleanroom.Agent.Interop;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.Agent.Execution;

/// <summary>
/// The agent's ends of a running command's stdio: pipes, or one pty master for all three.
/// Stdin is null when the command got an empty stdin.
/// </summary>
internal sealed class CommandStdio : IDisposable
{
    private readonly List<SafeFileHandle> _childEnds = new();

    private CommandStdio() { }

    public SafeFileHandle? Stdin { get; private set; }
    public SafeFileHandle Stdout { get; private set; } = null!;
    public SafeFileHandle? Stderr { get; private set; }
    public PseudoTerminal? Terminal { get; private set; }

    /// <summary>Stdout and stderr are non-blocking pipes (not a terminal).</summary>
    public bool PipeOutput { get; private set; }

    /// <summary>What the command gets as descriptors 0, 1 and 2.</summary>
    public IReadOnlyList<(int ChildFd, SafeFileHandle Handle)> ChildDescriptors { get; private set; } = [];

    public static CommandStdio ForTerminal(ushort rows, ushort columns, bool stdin)
    {
        var terminal = PseudoTerminal.Open(rows, columns);
        FileDescriptors.SetNonBlocking(terminal.Master);
        var stdio = new CommandStdio { Terminal = terminal, Stdout = terminal.Master, Stdin = stdin ? terminal.Master : null };
        stdio.ChildDescriptors = [(0, terminal.Slave), (1, terminal.Slave), (2, terminal.Slave)];
        stdio._childEnds.Add(terminal.Slave);
        return stdio;
    }

    public static CommandStdio ForPipes(bool stdin)
    {
        var stdio = new CommandStdio();
        var (stdinRead, stdinWrite) = FileDescriptors.CreatePipe();
        var (stdoutRead, stdoutWrite) = FileDescriptors.CreatePipe();
        var (stderrRead, stderrWrite) = FileDescriptors.CreatePipe();
        if (stdin)
        {
            FileDescriptors.SetNonBlocking(stdinWrite);
            stdio.Stdin = stdinWrite;
        }
        else
        {
            // A pipe with no writer reads as end of file: an empty stdin without needing /dev/null in the rootfs.
            stdinWrite.Dispose();
        }
        // Non-blocking, so the pump can read again after a full read without a poll first; and 1 MiB deep, so a
        // command writing small pieces is not stopped at every 64 KiB while the pump is busy sending, and the pump's
        // reads come back bigger (fewer frames, fewer system calls: each one is expensive under gVisor's ptrace).
        foreach (var read in new[] { stdoutRead, stderrRead })
        {
            FileDescriptors.SetNonBlocking(read);
            FileDescriptors.TryGrowPipe(read, 1 << 20);
        }
        stdio.Stdout = stdoutRead;
        stdio.Stderr = stderrRead;
        stdio.PipeOutput = true;
        stdio.ChildDescriptors = [(0, stdinRead), (1, stdoutWrite), (2, stderrWrite)];
        stdio._childEnds.AddRange([stdinRead, stdoutWrite, stderrWrite]);
        return stdio;
    }

    /// <summary>
    /// Once the command has its copies, the agent must close its own: otherwise a pipe never reports
    /// end of file and a pty master never reports EIO.
    /// </summary>
    public void CloseChildEnds()
    {
        foreach (var handle in _childEnds)
            handle.Dispose();
    }

    public void Dispose()
    {
        CloseChildEnds();
        Stdin?.Dispose();
        Stdout.Dispose();
        Stderr?.Dispose();
        Terminal?.Dispose();
    }
}
