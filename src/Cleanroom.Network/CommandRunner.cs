using System.ComponentModel;
using System.Diagnostics;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Network;

/// <summary>What a finished external program left behind.</summary>
internal sealed record CommandResult(IReadOnlyList<string> Argv, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws <c>network_setup_failed</c> with the command and its stderr unless it exited 0.</summary>
    public CommandResult EnsureSuccess()
    {
        if (!Succeeded)
            throw new CleanroomException(ErrorCode.NetworkSetupFailed,
                $"{CommandRunner.Describe(Argv)} exited with {ExitCode}: {CommandRunner.Tail(Stderr.Length > 0 ? Stderr : Stdout)}");
        return this;
    }
}

/// <summary>
/// The one way this component runs ip, nft and sysctl: exact argv (never a shell), optional stdin (nft
/// scripts, ip batches), a deadline after which the program is killed, output captured, and the argv
/// (and stdin) logged at debug level so any failure can be replayed by hand.
/// </summary>
internal sealed class CommandRunner(ILogger logger, TimeSpan timeout)
{
    private const int TailLength = 2000;

    public async Task<CommandResult> RunAsync(IReadOnlyList<string> argv, string? stdin, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(argv.Count);
        if (stdin is null)
            logger.LogDebug("exec {Argv}", Describe(argv));
        else
            logger.LogDebug("exec {Argv} <<EOF\n{Stdin}EOF", Describe(argv), stdin);

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
            throw new CleanroomException(ErrorCode.NetworkSetupFailed, $"cannot start {argv[0]}: {e.Message}", e);
        }

        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            if (stdin is not null)
                await process.StandardInput.WriteAsync(stdin.AsMemory(), deadline.Token).ConfigureAwait(false);
            process.StandardInput.Close();
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            Kill(process);
            cancellationToken.ThrowIfCancellationRequested();
            if (e is IOException)
                throw new CleanroomException(ErrorCode.NetworkSetupFailed, $"{Describe(argv)} closed its input early: {e.Message}", e);
            throw new CleanroomException(ErrorCode.NetworkSetupFailed,
                $"{Describe(argv)} did not finish within {timeout.TotalSeconds:0.#} s and was killed");
        }

        var result = new CommandResult(argv, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
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
