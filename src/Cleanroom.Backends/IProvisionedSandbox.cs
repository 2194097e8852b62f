namespace Cleanroom.Backends;

/// <summary>A sandbox a backend made (or re-adopted after a restart) and can run executions in.</summary>
public interface IProvisionedSandbox
{
    string SandboxId { get; }

    /// <summary>
    /// Starts <paramref name="spec"/> in the sandbox and returns as soon as the process runs. Failure to
    /// start throws; a workload that starts and then fails is reported through <see cref="IRunningExecution.Completion"/>.
    /// </summary>
    Task<IRunningExecution> StartExecutionAsync(ExecutionSpec spec, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a file inside the sandbox for reading (DownloadSandboxFile). Only called when the backend
    /// claims <see cref="CapabilityNames.FileDownload"/>. A missing file throws a
    /// <see cref="Cleanroom.Errors.CleanroomException"/> with code <c>not_found</c>.
    /// </summary>
    Task<Stream> OpenFileAsync(string guestPath, CancellationToken cancellationToken);

    /// <summary>
    /// Ends every execution (their <see cref="IRunningExecution.Completion"/> and output complete) and
    /// removes everything the sandbox made on the host. Idempotent: a second call does nothing.
    /// </summary>
    Task TerminateAsync(CancellationToken cancellationToken);
}
