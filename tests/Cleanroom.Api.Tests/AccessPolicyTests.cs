using Cleanroom.Api.Authentication;

namespace Cleanroom.Api.Tests;

/// <summary>The claims policy's globs and first-match decisions, and what a grant refuses.</summary>
public sealed class AccessPolicyTests
{
    [Theory]
    [InlineData("org/*", "org/repo", true)]
    [InlineData("org/*", "org/team/repo", true)]
    [InlineData("org/*", "org", false)]
    [InlineData("org/*", "other/org/repo", false)]
    [InlineData("*", "", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("*-main", "deploy-main", true)]
    [InlineData("*a*b", "xxaxxbxb", true)]
    [InlineData("*a*b", "xxaxxbx", false)]
    [InlineData("exact", "exact", true)]
    [InlineData("exact", "Exact", false)]
    public void Globs_match_whole_values(string pattern, string value, bool matches) =>
        Assert.Equal(matches, ClaimGlob.Matches(pattern, value));

    private static Dictionary<string, IReadOnlyList<string>> Claims(params (string Name, string Value)[] claims) =>
        claims.GroupBy(c => c.Name).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(c => c.Value).ToList());

    [Fact]
    public void No_rules_leave_every_caller_unrestricted()
    {
        var grants = new AccessPolicy([]).Decide(Claims(("sub", "x")), admin: false);

        Assert.Same(CallerGrants.Unrestricted, grants);
        Assert.Null(grants.RefusalFor("qemu", "any/image@sha256:1", allowAll: true));
    }

    [Fact]
    public void The_first_matching_rule_decides_and_no_match_denies()
    {
        var policy = new AccessPolicy(
        [
            new AccessRule([new ClaimMatch("repository", "org/secret")], false, [], [], false),
            new AccessRule([new ClaimMatch("repository", "org/*")], true, ["gvisor"], ["cleanroom.local/*"], false),
        ]);

        Assert.False(policy.Decide(Claims(("repository", "org/secret")), false).Allowed);
        Assert.True(policy.Decide(Claims(("repository", "org/app")), false).Allowed);
        Assert.False(policy.Decide(Claims(("repository", "else/app")), false).Allowed);
        Assert.False(policy.Decide(Claims(), false).Allowed);
        Assert.True(policy.Decide(Claims(), admin: true).Allowed);
    }

    [Fact]
    public void A_claim_with_several_values_matches_when_any_does()
    {
        var policy = new AccessPolicy([new AccessRule([new ClaimMatch("groups", "builders")], true, null, null, false)]);

        Assert.True(policy.Decide(Claims(("groups", "readers"), ("groups", "builders")), false).Allowed);
    }

    [Fact]
    public void A_grant_refuses_other_backends_images_and_allow_all()
    {
        var grants = new AccessPolicy([new AccessRule([new ClaimMatch("sub", "*")], true, ["gvisor"], ["cleanroom.local/*"], false)])
            .Decide(Claims(("sub", "ci")), false);

        Assert.Null(grants.RefusalFor("gvisor", "cleanroom.local/debian@sha256:1", allowAll: false));
        Assert.Null(grants.RefusalFor(null, null, allowAll: false));
        Assert.Contains("backend qemu", grants.RefusalFor("qemu", null, false));
        Assert.Contains("image docker.io/x", grants.RefusalFor("gvisor", "docker.io/x", false));
        Assert.Contains("--dangerously-allow-all", grants.RefusalFor("gvisor", null, allowAll: true));
    }
}
