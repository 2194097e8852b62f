using System.Runtime.InteropServices;
using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>
/// One sandbox's QEMU on the host: started detached by this server (<see cref="DetachedProgram"/>: its own session,
/// stderr to the run directory's log, the agent's listening socket inherited as descriptor 3), or re-adopted after a
/// restart by its pidfile. Either way it does not depend on the server's life; the difference is only how its end is
/// awaited (reaping a child, or a pidfd).
/// </summary>
internal sealed class QemuProcess
{
    private readonly Task<int>? _childExit;
    private readonly string? _stderrLog;

    private QemuProcess(int pid, Task<int>? childExit, string? stderrLog)
    {
        Pid = pid;
        _childExit = childExit;
        _stderrLog = stderrLog;
    }

    public int Pid { get; }

    /// <summary>Completes when a QEMU this server started has exited; never for a re-adopted one (use <see cref="WaitForExitAsync"/>).</summary>
    public Task Exited => _childExit ?? new TaskCompletionSource().Task;

    /// <summary>The exit code of a QEMU this server started, once it has exited.</summary>
    public int? ExitCode => _childExit is { IsCompletedSuccessfully: true } exit ? exit.Result : null;

    public static QemuProcess Start(IReadOnlyList<string> argv, string stderrLog, SafeHandle agentListener, ILogger logger)
    {
        try
        {
            var process = DetachedProgram.Start(argv, stderrLog, readinessPipe: false, logger, ErrorCode.RuntimeLaunchFailed, [agentListener]);
            return new QemuProcess(process.Pid, process.Exited, stderrLog);
        }
        catch (CleanroomException e)
        {
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, $"{e.Message}; install qemu-system-x86 or set backends.qemu.binary_path", e);
        }
    }

    /// <summary>A QEMU an earlier server started, found by its pidfile.</summary>
    public static QemuProcess Adopt(int pid) => new(pid, null, null);

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        if (_childExit is null)
            return await Task.Run(() => HostPids.WaitForExit(Pid, timeout)).ConfigureAwait(false);
        try
        {
            await _childExit.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public void Kill()
    {
        if (_childExit is { IsCompleted: true })
            return; // reaped: the pid may belong to someone else now
        HostPids.Kill(Pid);
    }

    /// <summary>The end of QEMU's stderr (its own errors: a bad option, a disk it cannot open), for error messages.</summary>
    public async Task<string> StderrTailAsync()
    {
        if (_childExit is { } exit)
            await ((Task)exit).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return (_stderrLog is null ? null : TextTail.OfFile(_stderrLog)) ?? "(nothing)";
    }
}
