namespace Cleanroom.Backends;

/// <summary>
/// One way of isolating a sandbox (gVisor, QEMU, Firecracker, ...). The control plane owns all state
/// and decisions; a backend only makes, runs and removes sandboxes, and reports honestly what it can do.
/// See README.md in this folder for the guarantees every implementation must keep.
/// </summary>
public interface ISandboxBackend
{
    /// <summary>Stable lower-case name used in requests, config and the store, e.g. <c>gvisor</c>.</summary>
    string Name { get; }

    /// <summary>What this backend enforces. Must not claim anything it does not enforce.</summary>
    BackendCapabilities Capabilities { get; }

    /// <summary>
    /// Whether the backend really works on this host, found by trying it (a tiny boot), never by
    /// the mere presence of a binary or device file. Must not throw for "unusable": say why instead.
    /// </summary>
    Task<BackendHealth> ProbeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Makes the sandbox and returns once it can run executions. On failure it removes whatever it
    /// made before throwing (fail closed); a <see cref="Cleanroom.Errors.CleanroomException"/> code is
    /// kept by the control plane, anything else is reported as <c>runtime_launch_failed</c>.
    /// Cancellation means "give up and clean up".
    /// </summary>
    Task<IProvisionedSandbox> ProvisionAsync(SandboxSpec spec, CancellationToken cancellationToken);

    /// <summary>
    /// Called once when the server starts, before any new sandbox is provisioned. <paramref name="expectedLive"/>
    /// holds the specs of the sandboxes the store still believes are READY on this backend, and those it holds
    /// SUSPENDED (<see cref="SandboxSpec.Suspended"/>). The backend re-adopts the READY ones it can still run
    /// (returning live handles), keeps the suspended ones whose checkpoints are whole (a backend that cannot suspend
    /// keeps none), and removes everything else it made on this host: leftovers of sandboxes the server no longer
    /// runs, and the remains of expected sandboxes it could not re-adopt or keep.
    /// </summary>
    Task<BackendReconciliation> ReconcileAsync(IReadOnlyCollection<SandboxSpec> expectedLive, CancellationToken cancellationToken);
}
