namespace Cleanroom.Backends;

/// <summary>
/// What a backend did after a server restart: the expected sandboxes it took back (with live handles), the expected
/// suspended sandboxes whose checkpoints it kept (<see cref="KeptSuspended"/>), and, for the log and the event stream,
/// the leftovers it removed, by sandbox id. Expected sandboxes missing from both are treated as lost.
/// </summary>
public sealed record BackendReconciliation(IReadOnlyList<IProvisionedSandbox> Readopted, IReadOnlyList<string> RemovedLeftovers)
{
    public static readonly BackendReconciliation Nothing = new([], []);

    /// <summary>Suspended sandboxes (specs with <see cref="SandboxSpec.Suspended"/>) still whole on the host: their next wake restores them.</summary>
    public IReadOnlyList<ISuspendedSandbox> KeptSuspended { get; init; } = [];
}
