using Cleanroom.Errors;
using Cleanroom.HostProcesses;
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
/// How this component runs ip, nft and sysctl: through the shared <see cref="HostProgram"/> (exact argv, never a
/// shell; optional stdin for nft scripts and ip batches; a deadline; argv and stdin at debug level).
/// </summary>
internal sealed class CommandRunner(ILogger logger, TimeSpan timeout)
{
    private readonly HostProgram _program = new(logger, ErrorCode.NetworkSetupFailed, timeout);

    public async Task<CommandResult> RunAsync(IReadOnlyList<string> argv, string? stdin, CancellationToken cancellationToken)
    {
        if (stdin is not null)
            logger.LogDebug("stdin of {Argv}:\n{Stdin}", Describe(argv), stdin);
        var result = await _program.RunAsync(argv, null, cancellationToken, stdin is null ? null : System.Text.Encoding.UTF8.GetBytes(stdin)).ConfigureAwait(false);
        return new CommandResult(argv, result.ExitCode, result.StdoutText, result.Stderr);
    }

    public static string Describe(IReadOnlyList<string> argv) => HostProgram.Describe(argv);

    public static string Tail(string text) => HostProgram.Tail(text);
}
