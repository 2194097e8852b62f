using Cleanroom.Errors;
using Cleanroom.HostProcesses;
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
/// Runs short-lived external programs (runsc list/kill/delete/version) to completion through the shared
/// <see cref="HostProgram"/> (exact argv, deadline, captured output, argv at debug level). <c>runsc run --detach</c>,
/// whose sandbox outlives the server, is started through <see cref="DetachedProgram"/> instead.
/// </summary>
public sealed class ProcessRunner(ILogger logger)
{
    private readonly HostProgram _program = new(logger, ErrorCode.RuntimeLaunchFailed, TimeSpan.FromMinutes(1));

    /// <summary>
    /// Runs <paramref name="argv"/> and returns its exit code and output. A program that cannot be started
    /// (missing binary) or outlives <paramref name="timeout"/> throws <c>runtime_launch_failed</c>.
    /// </summary>
    public async Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await _program.RunAsync(argv, null, null, null, timeout, cancellationToken).ConfigureAwait(false);
        return new ProcessResult(argv, result.ExitCode, result.StdoutText, result.Stderr);
    }

    /// <summary>The argv as one line a person can paste into a shell (arguments with spaces quoted).</summary>
    public static string Describe(IEnumerable<string> argv) => HostProgram.Describe(argv);

    /// <summary>The last part of a program's output, trimmed, for error messages.</summary>
    public static string Tail(string text) => HostProgram.Tail(text) is { Length: > 0 } tail ? tail : "(no output)";
}
