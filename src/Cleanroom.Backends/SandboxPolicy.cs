namespace Cleanroom.Backends;

/// <summary>
/// A compiled policy as the control plane and backends see it: the canonical JSON (opaque here; the
/// policy compiler owns its meaning), its <c>policy_hash</c>, and the few facts that decide which
/// capabilities a backend must have.
/// </summary>
public sealed record SandboxPolicy(string CanonicalJson, string Hash, bool HasEgressAllowRules, bool DockerRequired);
