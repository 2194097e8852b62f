using Cleanroom.Api.V1;

namespace Cleanroom.Cli.Client;

/// <summary>The process exit code <c>cleanroom exec</c> returns for how the workload ended.</summary>
internal static class WorkloadExit
{
    /// <summary>What <c>timeout(1)</c> returns, so scripts that know it read ours the same way.</summary>
    public const int TimedOut = 124;

    /// <summary>The shell's code for "interrupted" (128 + SIGINT).</summary>
    public const int Interrupted = 130;

    public static int CodeFor(ExecutionExit exit) => exit.Status switch
    {
        ExecutionStatus.Succeeded => 0,
        ExecutionStatus.TimedOut => TimedOut,
        ExecutionStatus.Canceled => Interrupted,
        // FAILED with a real exit code is the workload's own failure; without one the server could not run it.
        ExecutionStatus.Failed when exit.ExitCode > 0 => exit.ExitCode,
        _ => 1,
    };
}
