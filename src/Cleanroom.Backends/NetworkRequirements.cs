namespace Cleanroom.Backends;

/// <summary>
/// What the sandbox's network must enforce. Egress is denied by default; <see cref="HasEgressAllowRules"/>
/// says the policy allows some destinations; <see cref="AllowAll"/> is the request-scoped
/// <c>--dangerously-allow-all</c>, which turns enforcement off for this sandbox only.
/// </summary>
public sealed record NetworkRequirements(bool HasEgressAllowRules, bool AllowAll);
