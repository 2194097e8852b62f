namespace Cleanroom.Api.Authentication;

/// <summary>
/// The claims policy (<c>auth.policy</c>): the first rule whose patterns all match the caller's claims decides; with
/// rules configured and none matching, the caller is denied (fail closed). Admins are not subject to it: they operate
/// the server. A claim with several values (an OIDC array claim) matches when any of its values does.
/// </summary>
public sealed class AccessPolicy(IReadOnlyList<AccessRule> rules)
{
    /// <summary>Whether any rule is configured; without one every caller is unrestricted and claims need not be gathered.</summary>
    public bool HasRules => rules.Count > 0;

    public CallerGrants Decide(IReadOnlyDictionary<string, IReadOnlyList<string>> claims, bool admin)
    {
        if (rules.Count == 0) return CallerGrants.Unrestricted;
        if (admin) return CallerGrants.Unrestricted with { Reason = "admins (auth.admins) are not subject to auth.policy" };
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (!rule.Match.All(m => claims.TryGetValue(m.Claim, out var values) && values.Any(v => ClaimGlob.Matches(m.Pattern, v))))
                continue;
            var reason = $"auth.policy[{i}] ({string.Join(" and ", rule.Match.Select(m => $"{m.Claim} matches \"{m.Pattern}\""))})";
            return rule.Allow
                ? new CallerGrants(true, reason, rule.Backends, rule.Images, rule.AllowAll)
                : new CallerGrants(false, reason, [], [], false);
        }
        return new CallerGrants(false, $"no auth.policy rule matches the caller's claims ({string.Join(", ", claims.Keys.Order(StringComparer.Ordinal))})", [], [], false);
    }
}
