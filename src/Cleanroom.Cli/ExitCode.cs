namespace Cleanroom.Cli;

/// <summary>Process exit codes shared by every verb (exec instead passes through the workload's own code).</summary>
public static class ExitCode
{
    public const int Success = 0;

    /// <summary>The command ran and found a problem (an invalid policy, a failed check).</summary>
    public const int Failure = 1;

    /// <summary>The command could not run as asked: bad flags, or nothing to work on (no policy file).</summary>
    public const int Usage = 2;
}
