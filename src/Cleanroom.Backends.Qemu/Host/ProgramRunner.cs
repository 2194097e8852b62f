using System.ComponentModel;
using System.Diagnostics;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Qemu.Host;

/// <summary>What a finished helper program left behind.</summary>
internal sealed record ProgramResult(IReadOnlyList<string> Argv, int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Throws <c>runtime_launch_failed</c> naming the command and its stderr unless it exited 0.</summary>
    public ProgramResult EnsureSuccess()
    {
        if (ExitCode != 0)
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed,
                $"{ProgramRunner.Describe(Argv)} exited with {ExitCode}: {TextTail.Of(Stderr.Length > 0 ? Stderr : Stdout)}");
        return this;
    }
}

/// <summary>
/// Runs short-lived helper programs (qemu-img, mkfs.ext4, a probe's QEMU) to completion: exact argv (never a
/// shell), a deadline after which the program is killed, output captured, and the argv logged at debug level
/// so a failure can be repeated by hand. The sandbox's own long-lived QEMU is <see cref="QemuProcess"/>.
/// </summary>
internal sealed class ProgramRunner(ILogger logger)
{
    /// <summary>Runs <paramref name="argv"/> with no input; see the overload with stdin.</summary>
    public Task<ProgramResult?> TryRunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken) =>
        TryRunAsync(argv, stdin: null, timeout, cancellationToken);

    /// <summary>Like <see cref="TryRunAsync(IReadOnlyList{string}, TimeSpan, CancellationToken)"/>, but running out of time throws <c>runtime_launch_failed</c>.</summary>
    public Task<ProgramResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync(argv, stdin: null, timeout, cancellationToken);

    /// <summary>
    /// Runs <paramref name="argv"/> with <paramref name="stdin"/> (if any) as its input; a program that cannot be started
    /// throws <c>runtime_launch_failed</c>. Returns null when it outlived <paramref name="timeout"/> (it has been killed by then).
    /// </summary>
    public async Task<ProgramResult?> TryRunAsync(IReadOnlyList<string> argv, string? stdin, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(argv.Count);
        logger.LogDebug("exec {Argv}", Describe(argv));
        var info = new ProcessStartInfo(argv[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in argv.Skip(1))
            info.ArgumentList.Add(argument);

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, $"cannot start {argv[0]}: {e.Message}", e);
        }
        if (stdin is not null)
        {
            // Small inputs (a batch of commands): written whole before the output is read, well within a pipe's buffer.
            await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            logger.LogDebug("{Argv} did not finish within {Timeout} and was killed", Describe(argv), timeout);
            return null;
        }
        var result = new ProgramResult(argv, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        if (result.ExitCode != 0)
            logger.LogDebug("{Argv} exited with {ExitCode}: {Stderr}", Describe(argv), result.ExitCode, TextTail.Of(result.Stderr));
        return result;
    }

    /// <summary>Like <see cref="TryRunAsync(IReadOnlyList{string}, string, TimeSpan, CancellationToken)"/>, but running out of time throws <c>runtime_launch_failed</c>.</summary>
    public async Task<ProgramResult> RunAsync(IReadOnlyList<string> argv, string? stdin, TimeSpan timeout, CancellationToken cancellationToken) =>
        await TryRunAsync(argv, stdin, timeout, cancellationToken).ConfigureAwait(false)
        ?? throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, $"{Describe(argv)} did not finish within {timeout.TotalSeconds:0.#} s and was killed");

    /// <summary>The argv as one line a person can paste into a shell (arguments with spaces quoted).</summary>
    public static string Describe(IEnumerable<string> argv) =>
        string.Join(' ', argv.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) || a.Contains('\'') ? "'" + a.Replace("'", "'\\''") + "'" : a));

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
