using System.ComponentModel;
using System.Diagnostics;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.HostProcesses;

/// <summary>
/// Runs an external program on the host: exact argv (never a shell), an optional working directory
/// and stdin, a deadline after which it is killed, stderr captured for the error, and the argv logged at
/// debug level so a failure can be replayed by hand. stdout is either captured or streamed to a sink
/// (for output too large to hold, such as <c>git archive</c>). Failures to start or to finish in time
/// are <see cref="CleanroomException"/>s with the caller's code.
/// </summary>
public sealed class HostProgram(ILogger logger, string failureCode, TimeSpan timeout)
{
    private const int TailLength = 2000;

    public Task<HostProgramResult> RunAsync(IReadOnlyList<string> argv, string? workingDirectory, CancellationToken cancellationToken,
        byte[]? stdin = null) =>
        RunCoreAsync(argv, workingDirectory, stdin, stdoutSink: null, cancellationToken);

    /// <summary>Like <see cref="RunAsync"/>, but stdout is copied into <paramref name="stdoutSink"/> as it comes.</summary>
    public Task<HostProgramResult> StreamAsync(IReadOnlyList<string> argv, string? workingDirectory, Stream stdoutSink, CancellationToken cancellationToken) =>
        RunCoreAsync(argv, workingDirectory, null, stdoutSink, cancellationToken);

    /// <summary>Runs and throws (with the caller's code, the argv and stderr) unless the program exits 0.</summary>
    public async Task<HostProgramResult> RunCheckedAsync(IReadOnlyList<string> argv, string? workingDirectory, CancellationToken cancellationToken, byte[]? stdin = null)
    {
        var result = await RunAsync(argv, workingDirectory, cancellationToken, stdin).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new CleanroomException(failureCode, $"{Describe(argv)} exited with {result.ExitCode}: {Tail(result.Stderr)}");
        return result;
    }

    private async Task<HostProgramResult> RunCoreAsync(IReadOnlyList<string> argv, string? workingDirectory, byte[]? stdin, Stream? stdoutSink,
        CancellationToken cancellationToken)
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

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new CleanroomException(failureCode, $"cannot start {argv[0]}: {e.Message}", e);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var captured = new MemoryStream();
        var stdout = process.StandardOutput.BaseStream.CopyToAsync(stdoutSink ?? captured, deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (stdin is not null)
                await process.StandardInput.BaseStream.WriteAsync(stdin, deadline.Token).ConfigureAwait(false);
            process.StandardInput.Close();
            await stdout.ConfigureAwait(false);
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            Kill(process);
            cancellationToken.ThrowIfCancellationRequested();
            if (e is IOException)
                throw new CleanroomException(failureCode, $"{Describe(argv)} failed while streaming: {e.Message}", e);
            throw new CleanroomException(failureCode, $"{Describe(argv)} did not finish within {timeout.TotalSeconds:0.#} s and was killed");
        }

        var result = new HostProgramResult(argv, process.ExitCode, captured.ToArray(), await stderr.ConfigureAwait(false));
        if (!result.Succeeded)
            logger.LogDebug("{Argv} exited with {ExitCode}: {Stderr}", Describe(argv), result.ExitCode, Tail(result.Stderr));
        return result;
    }

    public static string Describe(IReadOnlyList<string> argv) =>
        string.Join(' ', argv.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a));

    public static string Tail(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length <= TailLength ? trimmed : "..." + trimmed[^TailLength..];
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
