namespace Cleanroom.ControlPlane.Snapshots;

/// <summary>
/// A stored snapshot: a sandbox's memory, processes and files at one moment, to start new sandboxes from. Its id is
/// the digest of its files (content-addressed); it carries the policy hash it was taken under, which a sandbox started
/// from it must match, and the principal that took it (null on a server without authentication).
/// </summary>
public sealed record Snapshot(
    string Id,
    string? Name,
    string SourceSandboxId,
    string Backend,
    string ImageRef,
    string PolicyHash,
    string? Owner,
    DateTimeOffset CreatedAt,
    long Bytes);
