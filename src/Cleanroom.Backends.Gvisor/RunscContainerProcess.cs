using System.ComponentModel;
using System.Diagnostics;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// The foreground <c>runsc run</c> of one sandbox. Its stdin and stdout are the container's, and so the
/// agent's <c>--stdio</c> channel; its stderr (runsc's errors and the agent's diagnostics) is copied to the
/// sandbox's log file, keeping the last part in memory for error messages.
/// When this host process dies, the pipes close, the agent reads end-of-file and exits, and as PID 1 it
/// takes the container with it; runsc run then deletes the container and exits.
/// </summary>
internal sealed class RunscContainerProcess : IAsyncDisposable
{
    private const int StderrTailCapacity = 4000;

    private readonly Process _process;
    private readonly TextTail _stderrTail = new(StderrTailCapacity);
    private readonly Task _stderrPump;
    private readonly Task _exited;

    private RunscContainerProcess(Process process, string stderrLogPath)
    {
        _process = process;
        Pid = process.Id;
        _stderrPump = Task.Run(() => PumpStderrAsync(process.StandardError, stderrLogPath));
        _exited = RecordExitAsync();
    }

    public int Pid { get; }

    /// <summary>What the agent writes (the container's stdout).</summary>
    public Stream FromAgent => _process.StandardOutput.BaseStream;

    /// <summary>What the agent reads (the container's stdin).</summary>
    public Stream ToAgent => _process.StandardInput.BaseStream;

    /// <summary>Completes when runsc run has exited.</summary>
    public Task Exited => _exited;

    /// <summary>runsc run's exit code once it has exited (kept after dispose, for error messages).</summary>
    public int? ExitCode { get; private set; }

    public static RunscContainerProcess Start(IReadOnlyList<string> argv, string stderrLogPath, ILogger logger)
    {
        logger.LogDebug("exec {Argv}", ProcessRunner.Describe(argv));
        var info = new ProcessStartInfo(argv[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in argv.Skip(1))
            info.ArgumentList.Add(argument);
        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, $"cannot start {argv[0]}: {e.Message}; install runsc (apt-get install runsc) or set backends.gvisor.runsc_path", e);
        }
        return new RunscContainerProcess(process, stderrLogPath);
    }

    /// <summary>
    /// The end of runsc's stderr, for an error message. Waits briefly for the pump to reach end-of-file
    /// when runsc has exited, so the last words are not lost to a race.
    /// </summary>
    public async Task<string> StderrTailAsync()
    {
        if (_process.HasExited)
            await _stderrPump.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return ProcessRunner.Tail(_stderrTail.ToString());
    }

    /// <summary>Waits for runsc run to exit; false when <paramref name="timeout"/> passed first.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _exited.WaitAsync(timeout, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return _exited.IsCompleted;
    }

    /// <summary>Kills runsc run itself (not the sandbox: <c>runsc delete --force</c> does that).</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stderrPump.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _process.Dispose();
    }

    private async Task RecordExitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        ExitCode = _process.ExitCode;
    }

    private async Task PumpStderrAsync(StreamReader stderr, string logPath)
    {
        var buffer = new char[4096];
        await using var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        int read;
        try
        {
            while ((read = await stderr.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                var text = new string(buffer, 0, read);
                _stderrTail.Append(text);
                await log.WriteAsync(text).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The run directory went away under us (terminate); the tail is still in memory.
        }
    }
}
