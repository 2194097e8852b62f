using System.Collections;
using System.Runtime.InteropServices;
using System.Text;
using Cleanroom.Errors;
using Cleanroom.HostProcesses.Interop;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Cleanroom.HostProcesses;

/// <summary>
/// The one way Cleanroom starts a program that must outlive the server (runsc's sandbox, QEMU): posix_spawn
/// into a session of its own (so a signal to the server's process group or terminal does not reach it), an
/// empty signal mask, standard input from /dev/null, standard error appended to a log file that stays valid
/// whoever reads it, and standard output either /dev/null or a pipe the caller reads a readiness line from.
/// No pipe to the server is left on a descriptor the program writes diagnostics to, so a server that dies
/// cannot take the program with it by a broken pipe. The direct child is reaped here (<see cref="DetachedProcess.Exited"/>);
/// what it leaves running (a daemonised sandbox) is re-parented to init and found again by its pid file or
/// command line.
/// </summary>
public static unsafe class DetachedProgram
{
    /// <param name="passDescriptors">Descriptors the program inherits as 3, 4, ... in this order (a listening socket, say).</param>
    public static DetachedProcess Start(IReadOnlyList<string> argv, string stderrLogPath, bool readinessPipe, ILogger logger, string failureCode,
        IReadOnlyList<SafeHandle>? passDescriptors = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(argv.Count);
        logger.LogDebug("exec (detached) {Argv} 2>>{Log}", HostProgram.Describe(argv), stderrLogPath);
        var pipe = stackalloc int[2] { -1, -1 };
        if (readinessPipe && LibC.Pipe2(pipe, LibC.O_CLOEXEC) != 0)
            throw new CleanroomException(failureCode, $"cannot start {argv[0]}: pipe2 failed ({Marshal.GetLastPInvokeErrorMessage()})");

        var actions = stackalloc byte[LibC.FileActionsSize];
        var attributes = stackalloc byte[LibC.SpawnAttrSize];
        var signals = stackalloc byte[LibC.SigSetSize];
        LibC.PosixSpawnFileActionsInit(actions);
        LibC.PosixSpawnAttrInit(attributes);
        using var strings = new NativeStringArena();
        try
        {
            LibC.PosixSpawnFileActionsAddOpen(actions, 0, strings.Add("/dev/null"), LibC.O_RDONLY, 0);
            if (readinessPipe)
                LibC.PosixSpawnFileActionsAddDup2(actions, pipe[1], 1); // dup2 clears close-on-exec on the copy
            else
                LibC.PosixSpawnFileActionsAddOpen(actions, 1, strings.Add("/dev/null"), LibC.O_WRONLY, 0);
            LibC.PosixSpawnFileActionsAddOpen(actions, 2, strings.Add(stderrLogPath), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND, 0x180 /* 0600 */);
            for (var i = 0; i < (passDescriptors?.Count ?? 0); i++)
                LibC.PosixSpawnFileActionsAddDup2(actions, (int)passDescriptors![i].DangerousGetHandle(), 3 + i); // clears close-on-exec, also when equal
            LibC.SigEmptySet(signals);
            LibC.PosixSpawnAttrSetSigMask(attributes, signals);
            LibC.PosixSpawnAttrSetFlags(attributes, (short)(LibC.POSIX_SPAWN_SETSID | LibC.POSIX_SPAWN_SETSIGMASK));

            var argvPointers = strings.NullTerminated(argv);
            var environment = strings.NullTerminated(EnvironmentEntries());
            int pid;
            var error = LibC.PosixSpawnP(&pid, argvPointers[0], actions, attributes, argvPointers, environment);
            if (error != 0)
                throw new CleanroomException(failureCode, $"cannot start {argv[0]}: {Marshal.GetPInvokeErrorMessage(error)}");
            Stream? stdout = null;
            if (readinessPipe)
            {
                LibC.Close(pipe[1]);
                pipe[1] = -1;
                stdout = new FileStream(new SafeFileHandle(pipe[0], ownsHandle: true), FileAccess.Read, 1);
                pipe[0] = -1;
            }
            return new DetachedProcess(pid, stdout, Reap(pid));
        }
        finally
        {
            LibC.PosixSpawnFileActionsDestroy(actions);
            LibC.PosixSpawnAttrDestroy(attributes);
            if (pipe[0] >= 0) LibC.Close(pipe[0]);
            if (pipe[1] >= 0) LibC.Close(pipe[1]);
        }
    }

    private static IEnumerable<string> EnvironmentEntries()
    {
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            yield return $"{entry.Key}={entry.Value}";
    }

    /// <summary>waitpid on a thread of its own: .NET reaps only the children its Process class started.</summary>
    private static Task<int> Reap(int pid)
    {
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            int status;
            while (true)
            {
                if (LibC.WaitPid(pid, &status, 0) == pid)
                {
                    // Exit code, or 128 + signal as a shell would say.
                    exited.TrySetResult((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f));
                    return;
                }
                if (Marshal.GetLastPInvokeError() != LibC.EINTR)
                {
                    exited.TrySetResult(-1);
                    return;
                }
            }
        })
        { IsBackground = true, Name = $"reap {pid}" };
        thread.Start();
        return exited.Task;
    }

    /// <summary>NUL-terminated UTF-8 copies in native memory, freed together.</summary>
    private sealed class NativeStringArena : IDisposable
    {
        private readonly List<nint> _allocations = [];

        public byte* Add(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            var memory = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
            bytes.CopyTo(new Span<byte>(memory, bytes.Length));
            memory[bytes.Length] = 0;
            _allocations.Add((nint)memory);
            return memory;
        }

        public byte** NullTerminated(IEnumerable<string> values)
        {
            var list = values.ToList();
            var array = (byte**)NativeMemory.Alloc((nuint)(list.Count + 1), (nuint)sizeof(nint));
            _allocations.Add((nint)array);
            for (var i = 0; i < list.Count; i++)
                array[i] = Add(list[i]);
            array[list.Count] = null;
            return array;
        }

        public void Dispose()
        {
            foreach (var allocation in _allocations)
                NativeMemory.Free((void*)allocation);
        }
    }
}

/// <summary>A program started by <see cref="DetachedProgram"/>.</summary>
/// <param name="Pid">The direct child's pid.</param>
/// <param name="Stdout">The read end of its standard output when a readiness pipe was asked for.</param>
/// <param name="Exited">Completes with the direct child's exit code (128 + signal when killed) once it has been reaped.</param>
public sealed record DetachedProcess(int Pid, Stream? Stdout, Task<int> Exited)
{
    private const int MaxLine = 256;

    /// <summary>
    /// Reads the program's first line from the readiness pipe (null when it ends first), then closes the pipe. A
    /// read on a pipe does not observe cancellation, so cancellation stops the waiting; the read ends when the
    /// caller's cleanup stops the program.
    /// </summary>
    public async Task<string?> ReadReadinessLineAsync(CancellationToken cancellationToken)
    {
        var stdout = Stdout ?? throw new InvalidOperationException("started without a readiness pipe");
        try
        {
            return await ReadLineAsync(stdout).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stdout.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<string?> ReadLineAsync(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < MaxLine)
        {
            if (await stream.ReadAsync(one).ConfigureAwait(false) == 0)
                return null;
            if (one[0] == (byte)'\n')
                break;
            bytes.Add(one[0]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
