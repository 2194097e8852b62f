using Cleanroom.Api.V1;

namespace Cleanroom.Client;

/// <summary>How an execution ended.</summary>
/// <param name="ExecutionId">The execution's id on the server.</param>
/// <param name="ExitCode">The workload's exit code (128 + N when signal N ended it).</param>
/// <param name="Status">SUCCEEDED, FAILED, CANCELED or TIMED_OUT.</param>
/// <param name="ErrorCode">The stable code when the execution FAILED before or while running (not for a nonzero exit); else null.</param>
/// <param name="Message">The server's note on the ending, if any.</param>
/// <param name="StdoutBytes">Bytes of stdout this client received.</param>
/// <param name="StderrBytes">Bytes of stderr this client received.</param>
/// <param name="OutputTruncated">This client missed output: the server had dropped it before it was read (only for a reader that started after the server's retention limit was passed; ExecAsync follows from the start and gets everything).</param>
public sealed record ExecResult(
    string ExecutionId,
    int ExitCode,
    ExecutionStatus Status,
    string? ErrorCode,
    string? Message,
    long StdoutBytes,
    long StderrBytes,
    bool OutputTruncated)
{
    /// <summary>Exit code 0 and status SUCCEEDED.</summary>
    public bool Succeeded => ExitCode == 0 && Status == ExecutionStatus.Succeeded;
}
