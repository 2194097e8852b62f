using Cleanroom.Errors;

namespace Cleanroom.Backends;

/// <summary>
/// Decides whether a backend can honour a sandbox's policy. The rule is fail closed: if the policy needs
/// something the backend does not claim, the sandbox is not made, and the error names what is missing.
/// </summary>
public static class CapabilityCheck
{
    /// <summary>The capabilities <paramref name="spec"/> needs that <paramref name="capabilities"/> lacks, in a stable order.</summary>
    public static IReadOnlyList<string> Missing(BackendCapabilities capabilities, SandboxSpec spec)
    {
        var missing = new List<string>();
        foreach (var needed in Required(spec))
        {
            if (!capabilities.Supports(needed))
                missing.Add(needed);
        }
        return missing;
    }

    /// <summary>Throws <c>backend_capability_mismatch</c> naming the missing capabilities, if any.</summary>
    public static void EnsureSatisfied(string backendName, BackendCapabilities capabilities, SandboxSpec spec)
    {
        var missing = Missing(capabilities, spec);
        if (missing.Count > 0)
        {
            throw new CleanroomException(
                ErrorCode.BackendCapabilityMismatch,
                $"backend '{backendName}' cannot enforce this policy: it lacks {string.Join(", ", missing)}");
        }
    }

    /// <summary>The capabilities a sandbox needs, derived from its policy facts and network flags.</summary>
    public static IEnumerable<string> Required(SandboxSpec spec)
    {
        // With allow-all the user has knowingly turned enforcement off for this sandbox, so nothing
        // network-related is required; otherwise deny-by-default must hold even with no allow rules.
        if (!spec.Network.AllowAll)
        {
            yield return CapabilityNames.NetworkDefaultDeny;
            if (spec.Network.HasEgressAllowRules)
            {
                // Allow rules name hosts, so both the address allowlist and the policy resolver that
                // fills it are needed; one without the other either leaks or blocks everything.
                yield return CapabilityNames.NetworkEgressAllowlist;
                yield return CapabilityNames.NetworkDnsPolicy;
            }
        }
        if (spec.Policy.DockerRequired)
            yield return CapabilityNames.Docker;
        // A disk size the backend cannot hold the sandbox to would be a limit on paper only.
        if (spec.Resources.DiskBytes is not null)
            yield return CapabilityNames.DiskLimit;
    }
}
