using Cleanroom.RuntimeConfig;

namespace Cleanroom.RuntimeConfig.Tests;

/// <summary><c>auth.policy</c> as the issue's interface writes it, and the refusals that keep a typo from changing access.</summary>
public sealed class AuthPolicySectionTests
{
    [Fact]
    public void The_issues_example_rule_is_read_whole()
    {
        var result = RuntimeConfigReader.Parse("""
            auth:
              required: true
              policy: [{match: {claim: repository, pattern: "org/*"}, allow: true, backends: [gvisor], allow_all: false}]
            """);

        Assert.Empty(result.Problems);
        var rule = Assert.Single(result.Configuration!.Auth.Policy);
        Assert.Equal(new[] { new ClaimPattern("repository", "org/*") }, rule.Match.ToArray());
        Assert.True(rule.Allow);
        Assert.Equal(new[] { "gvisor" }, rule.Backends!.Value.ToArray());
        Assert.Null(rule.Images);
        Assert.False(rule.AllowAll);
    }

    [Fact]
    public void A_match_may_list_several_claims_and_a_rule_may_limit_images()
    {
        var result = RuntimeConfigReader.Parse("""
            auth:
              required: true
              policy:
                - match: [{claim: repository, pattern: "org/*"}, {claim: ref, pattern: "refs/heads/main"}]
                  allow: true
                  images: ["ghcr.io/org/*"]
                  allow_all: true
                - {match: {claim: sub, pattern: "*"}, allow: false}
            """);

        Assert.Empty(result.Problems);
        var policy = result.Configuration!.Auth.Policy;
        Assert.Equal(2, policy.Length);
        Assert.Equal(2, policy[0].Match.Length);
        Assert.Equal(new[] { "ghcr.io/org/*" }, policy[0].Images!.Value.ToArray());
        Assert.Null(policy[0].Backends);
        Assert.True(policy[0].AllowAll);
        Assert.False(policy[1].Allow);
    }

    [Theory]
    [InlineData("auth: {policy: [{match: {claim: sub, pattern: a}, allow: true}]}", "auth.policy", "needs auth.required: true")]
    [InlineData("auth: {required: true, policy: [{match: {claim: sub, pattern: a}, allow: true, backends: [gvisr]}]}", "auth.policy[0].backends[0]", "known backends are")]
    [InlineData("auth: {required: true, policy: [{match: {claim: sub, pattern: a}, allow: false, backends: [gvisor]}]}", "auth.policy[0]", "allow: false denies everything")]
    [InlineData("auth: {required: true, policy: [{allow: true}]}", "auth.policy[0]", "needs match")]
    [InlineData("auth: {required: true, policy: [{match: {claim: sub}, allow: true}]}", "auth.policy[0].match", "{claim: NAME, pattern: GLOB}")]
    [InlineData("auth: {required: true, policy: [{match: {claim: sub, pattern: a, regex: b}, allow: true}]}", "auth.policy[0].match.regex", "unknown setting")]
    [InlineData("auth: {required: true, policy: [{match: {claim: sub, pattern: a}, allow: yes}]}", "auth.policy[0].allow", "true or false")]
    [InlineData("auth: {required: true, policy: [{match: {claim: sub, pattern: a}, allow: true, allowall: true}]}", "auth.policy[0].allowall", "unknown setting")]
    [InlineData("auth: {required: true, policy: [{match: [], allow: true}]}", "auth.policy[0].match", "at least one")]
    [InlineData("auth: {required: true, policy: {match: {claim: sub, pattern: a}, allow: true}}", "auth.policy", "must be a list")]
    public void Bad_rules_are_refused_where_they_are(string yaml, string path, string words)
    {
        var result = RuntimeConfigReader.Parse(yaml);

        Assert.Null(result.Configuration);
        var problem = Assert.Single(result.Problems, p => p.Path == path);
        Assert.Contains(words, problem.Message);
    }
}
