using Cleanroom.Errors;
using Cleanroom.HostProcesses;
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
/// Runs short-lived helper programs (qemu-img, mkfs.ext4, ip -batch, a probe's QEMU) to completion through the
/// shared <see cref="HostProgram"/> (exact argv, deadline, captured output, argv at debug level). The sandbox's own
/// long-lived QEMU is <see cref="QemuProcess"/>.
/// </summary>
internal sealed class ProgramRunner(ILogger logger)
{
    private readonly HostProgram _program = new(logger, ErrorCode.RuntimeLaunchFailed, TimeSpan.FromMinutes(1));

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
        var result = await _program.TryRunAsync(argv, null, stdin is null ? null : System.Text.Encoding.UTF8.GetBytes(stdin), null, timeout, cancellationToken)
            .ConfigureAwait(false);
        return result is null ? null : new ProgramResult(argv, result.ExitCode, result.StdoutText, result.Stderr);
    }

    /// <summary>Like the overload with stdin that returns null on a timeout, but running out of time throws <c>runtime_launch_failed</c>.</summary>
    public async Task<ProgramResult> RunAsync(IReadOnlyList<string> argv, string? stdin, TimeSpan timeout, CancellationToken cancellationToken) =>
        await TryRunAsync(argv, stdin, timeout, cancellationToken).ConfigureAwait(false)
        ?? throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, $"{Describe(argv)} did not finish within {timeout.TotalSeconds:0.#} s and was killed");

    /// <summary>The argv as one line a person can paste into a shell.</summary>
    public static string Describe(IEnumerable<string> argv) => HostProgram.Describe(argv);
}
