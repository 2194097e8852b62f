namespace Cleanroom.ControlPlane.Store;

/// <summary>The final facts of an execution, written in one update.</summary>
internal sealed record ExecutionEnding(
    ExecutionStatus Status,
    int? ExitCode,
    int? Signal,
    string? FailureMessage,
    DateTimeOffset FinishedAt,
    OutputSummary? Stdout,
    OutputSummary? Stderr);
