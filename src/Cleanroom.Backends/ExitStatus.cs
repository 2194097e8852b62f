namespace Cleanroom.Backends;

/// <summary>
/// How a process ended. A process killed by signal N reports exit code 128+N (the shell convention,
/// so clients can exit with it) and the signal number itself.
/// </summary>
public sealed record ExitStatus(int ExitCode, int? Signal)
{
    public static ExitStatus Exited(int exitCode) => new(exitCode, null);

    public static ExitStatus KilledBy(int signal)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(signal, 1);
        return new ExitStatus(128 + signal, signal);
    }
}
