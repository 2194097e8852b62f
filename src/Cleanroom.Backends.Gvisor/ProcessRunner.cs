using System.ComponentModel;
using System.Diagnostics;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Gvisor;

/// <summary>What a finished external program left behind.</summary>
public sealed record ProcessResult(IReadOnlyList<string> Argv, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws <c>runtime_launch_failed</c> naming the command and its stderr unless it exited 0.</summary>
    public ProcessResult EnsureSuccess()
    {
        if (!Succeeded)
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed,
                $"{ProcessRunner.Describe(Argv)} exited with {ExitCode}: {ProcessRunner.Tail(Stderr.Length > 0 ? Stderr : Stdout)}");
        return this;
    }
}

/// <summary>
/// Runs short-lived external programs (runsc list/kill/delete/version) to completion: exact argv (never a
/// shell), a deadline after which the process is killed, stdout and stderr captured, and the argv logged at
/// debug level so any failure can be reproduced by hand. Long-lived children (runsc run) are started by
/// <see cref="RunscContainerProcess"/> instead.
/// </summary>
public sealed class ProcessRunner(ILogger logger)
{
    private const int TailLength = 2000;

    /// <summary>
    /// Runs <paramref name="argv"/> and returns its exit code and output. A program that cannot be started
    /// (missing binary) or outlives <paramref name="timeout"/> throws <c>runtime_launch_failed</c>.
    /// </summary>
    public async Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken)
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
            cancellationToken.ThrowIfCancellationRequested();
            throw new CleanroomException(ErrorCode.RuntimeLaunchFailed,
                $"{Describe(argv)} did not finish within {timeout.TotalSeconds:0.#} s and was killed");
        }
        var result = new ProcessResult(argv, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        if (!result.Succeeded)
            logger.LogDebug("{Argv} exited with {ExitCode}: {Stderr}", Describe(argv), result.ExitCode, Tail(result.Stderr));
        return result;
    }

    /// <summary>The argv as one line a person can paste into a shell (arguments with spaces quoted).</summary>
    public static string Describe(IEnumerable<string> argv) =>
        string.Join(' ', argv.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) || a.Contains('\'') ? "'" + a.Replace("'", "'\\''") + "'" : a));

    /// <summary>The last part of a program's output, trimmed, for error messages.</summary>
    public static string Tail(string text)
    {
        text = text.Trim();
        if (text.Length == 0)
            return "(no output)";
        return text.Length <= TailLength ? text : "…" + text[^TailLength..];
    }

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
