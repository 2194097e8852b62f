using System.Collections.Immutable;

namespace Cleanroom.Policy;

/// <summary>
/// The effective allow list of every lifecycle stage, always all four and explicit (an empty list means
/// no egress), so that enforcement never has to reproduce the inheritance rules of the policy file.
/// </summary>
public sealed record StageRules(
    ImmutableArray<EgressRule> Repository,
    ImmutableArray<EgressRule> Dependencies,
    ImmutableArray<EgressRule> Services,
    ImmutableArray<EgressRule> Execution)
{
    /// <summary>Stage names as written in the canonical JSON, in their fixed order.</summary>
    public static readonly ImmutableArray<string> StageNames = ["repository", "dependencies", "services", "execution"];

    public ImmutableArray<EgressRule> this[string stage] => stage switch
    {
        "repository" => Repository,
        "dependencies" => Dependencies,
        "services" => Services,
        "execution" => Execution,
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "unknown stage"),
    };
}
