namespace Cleanroom.Backends;

/// <summary>
/// A provisioned sandbox its backend can suspend: its whole state (memory, processes, writable layer) written to disk
/// on the host, and no process of it left running. Its network namespace and firewall stay as they are.
/// </summary>
public interface ISuspendableSandbox
{
    /// <summary>
    /// Suspends the sandbox; this handle is unusable afterwards, the returned one owns it. Only called when no
    /// execution runs in it. Throws <see cref="SandboxSuspendException"/> (<c>suspend_failed</c>) when it cannot; the
    /// exception carries the sandbox's running handle when it still runs (then it is READY as before).
    /// </summary>
    Task<ISuspendedSandbox> SuspendAsync(CancellationToken cancellationToken);
}

/// <summary>A sandbox whose state is on disk and which holds no process on the host.</summary>
public interface ISuspendedSandbox
{
    string SandboxId { get; }

    /// <summary>
    /// Restores the sandbox from its checkpoint and returns its running handle (the same processes and files, the agent
    /// answering again); the checkpoint is removed. A failure throws <c>wake_failed</c>, removes every process the
    /// attempt started and keeps the checkpoint for inspection.
    /// </summary>
    Task<IProvisionedSandbox> ResumeAsync(CancellationToken cancellationToken);

    /// <summary>Removes everything the sandbox has on the host, its checkpoint included. Idempotent.</summary>
    Task TerminateAsync(CancellationToken cancellationToken);
}
