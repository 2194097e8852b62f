using System.Text.Json;
using Cleanroom.Backends;

namespace Cleanroom.ControlPlane;

/// <summary>What CreateSandbox needs. Backend-specific settings go only in <see cref="RuntimeConfig"/>.</summary>
public sealed record CreateSandboxRequest
{
    /// <summary>Backend name; null picks the first usable backend in the registry's preference order.</summary>
    public string? Backend { get; init; }
    /// <summary>Digest-pinned image reference.</summary>
    public required string ImageRef { get; init; }
    public required SandboxPolicy Policy { get; init; }
    public SandboxResources Resources { get; init; } = SandboxResources.Unspecified;
    /// <summary>The chosen backend's runtime-config section, passed to it untouched.</summary>
    public JsonElement? RuntimeConfig { get; init; }
    /// <summary>Request-scoped <c>--dangerously-allow-all</c>: no egress enforcement for this sandbox.</summary>
    public bool DangerouslyAllowAll { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>The principal creating it, recorded as <see cref="Sandbox.Owner"/>; ensure keys are that owner's own.</summary>
    public string? Owner { get; init; }

    /// <summary>
    /// The backends the caller may use (the claims policy); null: any. Checked against the backend actually chosen,
    /// so a request that leaves the backend to the server cannot land on one its caller is not granted.
    /// </summary>
    public IReadOnlyList<string>? AllowedBackends { get; init; }
    /// <summary>
    /// Create-or-get: a PROVISIONING or READY sandbox created with this key is returned instead of a new one (see
    /// <see cref="SandboxControl.CreateSandboxAsync"/>); a new sandbox stores it as the label <see cref="EnsureKeyLabel"/>.
    /// </summary>
    public string? EnsureKey { get; init; }
    /// <summary>The label that holds a sandbox's ensure key. Names under <c>cleanroom.dev/</c> are the control plane's own.</summary>
    public const string EnsureKeyLabel = "cleanroom.dev/ensure-key";
    /// <summary>The prefix of label names only the control plane sets.</summary>
    public const string ReservedLabelPrefix = "cleanroom.dev/";
    /// <summary>Return only once the sandbox is READY (or throw why not), instead of right after PROVISIONING is recorded.</summary>
    public bool WaitUntilReady { get; init; }
    /// <summary>
    /// The caller uploads the repository workspace once the sandbox has started (see
    /// <see cref="SandboxControl.FileTreeAsync"/>) and then calls <see cref="SandboxControl.CompleteWorkspace"/>;
    /// setup stages wait for that, up to <see cref="ControlPlaneOptions.WorkspaceWait"/>.
    /// </summary>
    public bool WorkspaceFollows { get; init; }
    /// <summary>
    /// The server's own checkout of the repository, written into the sandbox once it has started and before its setup
    /// blocks run (the repository stage). Not with <see cref="WorkspaceFollows"/>: a sandbox has one repository.
    /// </summary>
    public RepositorySource? Repository { get; init; }
    /// <summary><c>--no-cache</c>: setup blocks run even where the block cache holds their outputs (which they then refresh).</summary>
    public bool NoCache { get; init; }
    /// <summary>
    /// Work that must be done before the backend provisions (the server pulls a missing image here), given the
    /// sandbox's id. It runs in the background while the sandbox is PROVISIONING, so callers can follow the events
    /// it records; a <see cref="Cleanroom.Errors.CleanroomException"/> fails the sandbox with its code. Terminating
    /// the sandbox cancels it. Not stored: a restart during it ends the sandbox like any interrupted provisioning.
    /// </summary>
    public Func<string, CancellationToken, Task>? Prepare { get; init; }
    /// <summary>
    /// Start from this snapshot (its id) instead of booting: its policy hash must equal <see cref="Policy"/>'s
    /// (<c>snapshot_policy_mismatch</c>), it must be the caller's (<see cref="Owner"/>; null sees all), and setup blocks do
    /// not run again (their outputs are in the snapshot). Never from the warm pool.
    /// </summary>
    public string? FromSnapshot { get; init; }
}
