namespace Cleanroom.ControlPlane;

/// <summary>What startup reconciliation did, by id, for the server log and for tests.</summary>
public sealed record ReconciliationReport(
    IReadOnlyList<string> InterruptedExecutions,
    IReadOnlyList<string> ReadoptedSandboxes,
    IReadOnlyList<string> LostSandboxes,
    IReadOnlyList<string> InterruptedProvisioning,
    IReadOnlyList<string> CompletedStops,
    IReadOnlyList<string> RemovedLeftovers);
