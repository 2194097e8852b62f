using System.Text.Json;

namespace Cleanroom.Backends;

/// <summary>
/// Everything a backend needs to make one sandbox. Backend-specific settings travel only in
/// <see cref="RuntimeConfig"/>, the backend's own section of the runtime config, which the backend parses:
/// the generic types never grow one backend's knobs.
/// </summary>
public sealed record SandboxSpec
{
    public required string SandboxId { get; init; }
    /// <summary>Digest-pinned image reference, e.g. <c>ghcr.io/x/y@sha256:...</c>.</summary>
    public required string ImageRef { get; init; }
    public required SandboxPolicy Policy { get; init; }
    public SandboxResources Resources { get; init; } = SandboxResources.Unspecified;
    public required NetworkRequirements Network { get; init; }
    /// <summary>The enforced network to run in; null means no network at all.</summary>
    public NetworkAttachment? Attachment { get; init; }
    /// <summary>This backend's runtime-config section as JSON, or null when there is none.</summary>
    public JsonElement? RuntimeConfig { get; init; }
    /// <summary>
    /// Called once the sandbox's enforced network is up (by the layer that makes it), so the control plane can time
    /// start-up milestones it does not see itself. Null when nobody is timing (warm spares, tests).
    /// </summary>
    public Action? OnNetworkReady { get; init; }
    /// <summary>
    /// Only in a restart's reconciliation: the store holds the sandbox SUSPENDED, so the backend keeps its checkpoint
    /// (and returns it in <see cref="BackendReconciliation.KeptSuspended"/>) instead of looking for its processes.
    /// </summary>
    public bool Suspended { get; init; }
    /// <summary>
    /// A snapshot to start from instead of booting: the directory a backend's <see cref="ISnapshotSource"/> wrote. The
    /// sandbox gets the snapshot's processes, memory and files, with its own id, network and disk. Null: a fresh boot.
    /// </summary>
    public string? SnapshotDirectory { get; init; }
}
