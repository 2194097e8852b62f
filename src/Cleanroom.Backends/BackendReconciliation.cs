namespace Cleanroom.Backends;

/// <summary>
/// What a backend did after a server restart: the expected sandboxes it took back (with live handles),
/// and, for the log and the event stream, the leftovers it removed, by sandbox id.
/// Expected sandboxes missing from <see cref="Readopted"/> are treated as lost.
/// </summary>
public sealed record BackendReconciliation(IReadOnlyList<IProvisionedSandbox> Readopted, IReadOnlyList<string> RemovedLeftovers)
{
    public static readonly BackendReconciliation Nothing = new([], []);
}
