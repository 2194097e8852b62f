using Cleanroom.Policy;

namespace Cleanroom.Backends;

/// <summary>
/// A compiled policy as the control plane and backends see it: the canonical JSON (what is stored and hashed), its
/// <c>policy_hash</c>, the few facts that decide which capabilities a backend must have, and the compiled policy
/// itself, whose stage rules, blocks and <c>run.before</c> enforcement and setup read as data.
/// </summary>
public sealed record SandboxPolicy(string CanonicalJson, string Hash, bool HasEgressAllowRules, bool DockerRequired)
{
    private CompiledPolicy? _compiled;

    /// <summary>The policy the server compiled (or rebuilt from a request), carried as it is: nothing parses it again.</summary>
    public static SandboxPolicy Of(CompiledPolicy policy) =>
        new(policy.CanonicalJson, policy.PolicyHash, HasEgressAllowRules: HasAllowRules(policy.Network), policy.DockerRequired)
        {
            _compiled = policy,
        };

    /// <summary>
    /// The compiled policy. For a record read back from the state database it is rebuilt from
    /// <see cref="CanonicalJson"/> once per distinct policy (<see cref="ParsedPolicies"/>); the canonical form was
    /// validated when it was first accepted, and is validated again here.
    /// </summary>
    public CompiledPolicy Compiled => _compiled ??= ParsedPolicies.Get(CanonicalJson);

    public bool Equals(SandboxPolicy? other) =>
        other is not null && CanonicalJson == other.CanonicalJson && Hash == other.Hash
        && HasEgressAllowRules == other.HasEgressAllowRules && DockerRequired == other.DockerRequired;

    public override int GetHashCode() => HashCode.Combine(CanonicalJson, Hash, HasEgressAllowRules, DockerRequired);

    private static bool HasAllowRules(StageRules network) =>
        StageRules.StageNames.Any(stage => !network[stage].IsEmpty);
}
