using Cleanroom.HostProcesses;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>
/// One running QEMU, a child of the server. Its stderr (where QEMU reports what it could not do) is kept, the
/// last few kilobytes only, for error messages; the guest's console goes to a file in the run directory.
/// Exit is observed as an event (<see cref="Exited"/>), never by polling.
/// </summary>
internal sealed class QemuProcess : IAsyncDisposable
{
    private const int StderrKept = 4000;

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();
    private readonly Task _stderrPump;

    private QemuProcess(Process process)
    {
        _process = process;
        Exited = process.WaitForExitAsync(CancellationToken.None);
        _stderrPump = PumpStderrAsync();
    }

    public int Pid => _process.Id;

    /// <summary>Completes when QEMU has exited.</summary>
    public Task Exited { get; }

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public static QemuProcess Start(IReadOnlyList<string> argv, ILogger logger)
    {
        logger.LogDebug("exec {Argv}", ProgramRunner.Describe(argv));
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
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed,
                $"cannot start {argv[0]}: {e.Message}; install qemu-system-x86 or set backends.qemu.binary_path", e);
        }
        process.StandardInput.Close();
        // Nothing is expected on stdout (-nographic with the serial line in a file); drain it so QEMU never blocks.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        return new QemuProcess(process);
    }

    /// <summary>True when QEMU exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await Exited.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public void Kill()
    {
        try
        {
            _process.Kill();
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Already gone.
        }
    }

    /// <summary>QEMU's stderr so far, read to the end once it has exited.</summary>
    public async Task<string> StderrTailAsync()
    {
        if (_process.HasExited)
            await _stderrPump.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_gate)
            return TextTail.Of(_stderr.ToString(), StderrKept);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
            await Exited.ConfigureAwait(false);
        }
        await _stderrPump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _process.Dispose();
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[1024];
        int read;
        while ((read = await _process.StandardError.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            lock (_gate)
            {
                _stderr.Append(buffer, 0, read);
                if (_stderr.Length > StderrKept * 2)
                    _stderr.Remove(0, _stderr.Length - StderrKept);
            }
        }
    }
}
