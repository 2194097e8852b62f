using System.Threading.Channels;

namespace Cleanroom.Backends;

/// <summary>A process started in a sandbox. The control plane reads its output and waits for its exit.</summary>
public interface IRunningExecution : IAsyncDisposable
{
    /// <summary>
    /// Output in the order the workload wrote it, each chunk tagged with its stream so stdout and
    /// stderr stay apart. The channel is bounded: a reader that falls behind slows the workload rather
    /// than growing memory. It completes once both streams reached end-of-file (after the process exits);
    /// the control plane drains it before it records the exit.
    /// </summary>
    ChannelReader<OutputChunk> Output { get; }

    /// <summary>The exit of the process. Completes after the process is gone; never faults for a workload failure.</summary>
    Task<ExitStatus> Completion { get; }

    /// <summary>Writes to the process's stdin. Only valid when the execution was started with stdin.</summary>
    ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Closes stdin so the process sees end-of-file. Idempotent.</summary>
    ValueTask CloseStdinAsync(CancellationToken cancellationToken);

    /// <summary>Tells the execution's terminal its new size (the workload gets SIGWINCH). Does nothing without a tty.</summary>
    Task ResizeAsync(TerminalSize size, CancellationToken cancellationToken);

    /// <summary>Sends a POSIX signal (see <see cref="SignalNumbers"/>). Signalling an exited process does nothing.</summary>
    Task SignalAsync(int signal, CancellationToken cancellationToken);
}
