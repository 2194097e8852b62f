using System.ComponentModel;
using System.Diagnostics;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.HostProcesses;

/// <summary>
/// The one way Cleanroom runs a short-lived external program on the host (git, ip, nft, runsc list/kill, qemu-img,
/// mkfs.ext4, ...): exact argv (never a shell), an optional working directory and stdin, a deadline after which it is
/// killed, stderr captured for the error, and the argv logged at debug level so a failure can be replayed by hand.
/// stdout is either captured or streamed to a sink (for output too large to hold, such as <c>git archive</c>).
/// Failing to start is a <see cref="CleanroomException"/> with the caller's code. Components keep their own small
/// result types and error codes on top of it.
/// </summary>
public sealed class HostProgram(ILogger logger, string failureCode, TimeSpan timeout)
{
    private const int TailLength = 2000;

    public Task<HostProgramResult> RunAsync(IReadOnlyList<string> argv, string? workingDirectory, CancellationToken cancellationToken,
        byte[]? stdin = null) =>
        RunAsync(argv, workingDirectory, stdin, stdoutSink: null, timeout, cancellationToken);

    /// <summary>Like <see cref="RunAsync(IReadOnlyList{string}, string?, CancellationToken, byte[])"/>, but stdout is copied into <paramref name="stdoutSink"/> as it comes.</summary>
    public Task<HostProgramResult> StreamAsync(IReadOnlyList<string> argv, string? workingDirectory, Stream stdoutSink, CancellationToken cancellationToken) =>
        RunAsync(argv, workingDirectory, null, stdoutSink, timeout, cancellationToken);

    /// <summary>Runs and throws (with the caller's code, the argv and stderr) unless the program exits 0.</summary>
    public async Task<HostProgramResult> RunCheckedAsync(IReadOnlyList<string> argv, string? workingDirectory, CancellationToken cancellationToken, byte[]? stdin = null)
    {
        var result = await RunAsync(argv, workingDirectory, cancellationToken, stdin).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new CleanroomException(failureCode, $"{Describe(argv)} exited with {result.ExitCode}: {Tail(result.Stderr)}");
        return result;
    }

    /// <summary>Runs to completion within <paramref name="deadline"/>; outliving it throws the caller's code.</summary>
    public async Task<HostProgramResult> RunAsync(IReadOnlyList<string> argv, string? workingDirectory, byte[]? stdin, Stream? stdoutSink,
        TimeSpan deadline, CancellationToken cancellationToken) =>
        await TryRunAsync(argv, workingDirectory, stdin, stdoutSink, deadline, cancellationToken).ConfigureAwait(false)
        ?? throw new CleanroomException(failureCode, $"{Describe(argv)} did not finish within {deadline.TotalSeconds:0.#} s and was killed");

    /// <summary>
    /// Runs to completion, or returns null when it outlived <paramref name="deadline"/> (it has been killed and reaped
    /// by then). Cancellation kills it too and throws.
    /// </summary>
    public Task<HostProgramResult?> TryRunAsync(IReadOnlyList<string> argv, string? workingDirectory, byte[]? stdin, Stream? stdoutSink,
        TimeSpan deadline, CancellationToken cancellationToken) =>
        TryRunAsync(argv, workingDirectory, stdin, stdoutSink, deadline, environment: null, cancellationToken);

    /// <summary>
    /// <see cref="TryRunAsync(IReadOnlyList{string}, string?, byte[], Stream?, TimeSpan, CancellationToken)"/> with
    /// variables added to (or replacing) the inherited environment. Their values are never logged: this is how a
    /// secret reaches a program without appearing in its argv (which every user of the host can read).
    /// </summary>
    public async Task<HostProgramResult?> TryRunAsync(IReadOnlyList<string> argv, string? workingDirectory, byte[]? stdin, Stream? stdoutSink,
        TimeSpan deadline, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(argv.Count);
        logger.LogDebug("exec {Argv} in {Directory}", Describe(argv), workingDirectory ?? ".");
        var info = new ProcessStartInfo(argv[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in argv.Skip(1))
            info.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new CleanroomException(failureCode, $"cannot start {argv[0]}: {e.Message}", e);
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(deadline);
        var captured = new MemoryStream();
        var stdout = process.StandardOutput.BaseStream.CopyToAsync(stdoutSink ?? captured, limit.Token);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (stdin is not null)
                await process.StandardInput.BaseStream.WriteAsync(stdin, limit.Token).ConfigureAwait(false);
            process.StandardInput.Close();
            await stdout.ConfigureAwait(false);
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            logger.LogDebug("{Argv} did not finish within {Deadline} and was killed", Describe(argv), deadline);
            return null;
        }
        catch (IOException e)
        {
            Kill(process);
            throw new CleanroomException(failureCode, $"{Describe(argv)} failed while its input or output was streamed: {e.Message}", e);
        }

        var result = new HostProgramResult(argv, process.ExitCode, captured.ToArray(), await stderr.ConfigureAwait(false));
        if (!result.Succeeded)
            logger.LogDebug("{Argv} exited with {ExitCode}: {Stderr}", Describe(argv), result.ExitCode, Tail(result.Stderr));
        return result;
    }

    /// <summary>The argv as one line a person can paste into a shell (arguments with spaces or quotes quoted).</summary>
    public static string Describe(IEnumerable<string> argv) =>
        string.Join(' ', argv.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) || a.Contains('\'') ? "'" + a.Replace("'", "'\\''") + "'" : a));

    /// <summary>The last part of a program's output, trimmed, for error messages.</summary>
    public static string Tail(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length <= TailLength ? trimmed : "…" + trimmed[^TailLength..];
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
