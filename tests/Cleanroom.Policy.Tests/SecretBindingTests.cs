using Cleanroom.Errors;

namespace Cleanroom.Policy.Tests;

public sealed class SecretBindingTests
{
    private const string Image = "ghcr.io/buildkite/cleanroom-base/alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static PolicyResult Compile(string secrets, string allow = "[api.example.com:443, other.example.com:443, plain.test:8080]") =>
        PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: {Image}\n  network:\n    allow: {allow}\nsecrets:\n{secrets}", "p.yaml");

    [Fact]
    public void Bindings_get_their_defaults_a_canonical_order_and_are_part_of_the_hash()
    {
        var result = Compile("""
              - id: zeta
                hosts: [plain.test:8080]
                header: X-Api-Key
                format: "{value}"
              - id: api_token
                hosts: ["Other.Example.com:443", "api.example.com"]
            """);

        Assert.True(result.Valid, string.Join("; ", result.Errors));
        var policy = result.Policy!;
        Assert.Equal(["api_token", "zeta"], policy.Secrets.Select(s => s.Id));
        var api = policy.Secrets[0];
        Assert.Equal(new[] { "api.example.com:443", "other.example.com:443" }, api.Hosts.ToArray());
        Assert.Equal(("Authorization", "Bearer {value}"), (api.Header, api.Format));
        Assert.Equal("CLEANROOM_SECRET_API_TOKEN", api.EnvironmentVariable);
        Assert.True(api.Covers("api.example.com", 443));
        Assert.False(api.Covers("api.example.com", 8443));
        Assert.Equal(("X-Api-Key", "{value}"), (policy.Secrets[1].Header, policy.Secrets[1].Format));

        Assert.Contains("\"secrets\":[{\"id\":\"api_token\",\"hosts\":[\"api.example.com:443\",\"other.example.com:443\"],\"header\":\"Authorization\",\"format\":\"Bearer {value}\"}", policy.CanonicalJson);
        var without = Compile("", "[api.example.com:443, other.example.com:443, plain.test:8080]").Policy!;
        var narrower = Compile("  - id: api_token\n    hosts: [api.example.com:443]\n").Policy!;
        Assert.NotEqual(without.PolicyHash, policy.PolicyHash);
        Assert.NotEqual(narrower.PolicyHash, policy.PolicyHash);
        Assert.DoesNotContain("secrets", without.CanonicalJson); // no bindings: the hash policies had before secrets existed
    }

    [Fact]
    public void The_canonical_json_round_trips_and_a_tampered_one_is_refused()
    {
        var policy = Compile("  - id: api_token\n    hosts: [api.example.com:443]\n").Policy!;

        Assert.Equal(policy, CompiledPolicy.FromCanonicalJson(policy.CanonicalJson));
        Assert.Equal(policy.PolicyHash, CompiledPolicy.FromCanonicalJson(policy.ToJson().ToJsonString()).PolicyHash);
        foreach (var tampered in new[]
                 {
                     policy.CanonicalJson.Replace("api.example.com:443\"]", "evil.example.com:443\"]"),
                     policy.CanonicalJson.Replace("Bearer {value}", "Bearer\\r\\nX: {value}"),
                     policy.CanonicalJson.Replace("\"Authorization\"", "\"Host\""),
                     policy.CanonicalJson.Replace("api.example.com:443\"]", "API.example.com:443\"]"),
                     policy.CanonicalJson.Replace("\"id\":\"api_token\"", "\"id\":\"API\""),
                 })
        {
            var error = Assert.Throws<CleanroomException>(() => CompiledPolicy.FromCanonicalJson(tampered));
            Assert.Equal(ErrorCode.PolicyInvalid, error.Code);
            Assert.Contains("secrets[0]", error.Message);
        }
    }

    [Theory]
    [InlineData("  - id: API\n    hosts: [api.example.com:443]\n", "secrets[0].id", "not a secret id")]
    [InlineData("  - id: api-token\n    hosts: [api.example.com:443]\n", "secrets[0].id", "not a secret id")]
    [InlineData("  - hosts: [api.example.com:443]\n", "secrets[0].id", "id is required")]
    [InlineData("  - id: a\n", "secrets[0].hosts", "hosts is required")]
    [InlineData("  - id: a\n    hosts: []\n", "secrets[0].hosts", "at least one")]
    [InlineData("  - id: a\n    hosts: [api.example.com:0]\n", "secrets[0].hosts[0]", "host:port")]
    [InlineData("  - id: a\n    hosts: [api.example.com:https]\n", "secrets[0].hosts[0]", "host:port")]
    [InlineData("  - id: a\n    hosts: [\"https://api.example.com:443\"]\n", "secrets[0].hosts[0]", "URL")]
    [InlineData("  - id: a\n    hosts: [\"*.example.com:443\"]\n", "secrets[0].hosts[0]", "wildcard")]
    [InlineData("  - id: a\n    hosts: [192.0.2.1:443]\n", "secrets[0].hosts[0]", "IP address")]
    [InlineData("  - id: a\n    hosts: [api.example.com:443]\n    header: \"Bad Header\"\n", "secrets[0].header", "not an HTTP header name")]
    [InlineData("  - id: a\n    hosts: [api.example.com:443]\n    header: Host\n", "secrets[0].header", "frames or routes")]
    [InlineData("  - id: a\n    hosts: [api.example.com:443]\n    format: Bearer\n", "secrets[0].format", "exactly once")]
    [InlineData("  - id: a\n    hosts: [api.example.com:443]\n    format: \"{value} {value}\"\n", "secrets[0].format", "exactly once")]
    [InlineData("  - id: a\n    hosts: [api.example.com:443]\n    format: \"Bearer {value}\\r\\nX-Evil: 1\"\n", "secrets[0].format", "control characters")]
    [InlineData("  - id: a\n    hosts: [api.example.com:443]\n    value: abc\n", "secrets[0].value", "unknown field")]
    [InlineData("  - id: a\n    hosts: [api.example.com:443]\n  - id: a\n    hosts: [other.example.com:443]\n", "secrets[1]", "already bound")]
    [InlineData("  api_token: {hosts: [api.example.com:443]}\n", "secrets", "must be a list")]
    public void Bad_bindings_are_policy_invalid_at_their_path(string secrets, string path, string message)
    {
        var result = Compile(secrets);

        Assert.False(result.Valid);
        var error = Assert.Single(result.Errors);
        Assert.Equal((ErrorCode.PolicyInvalid, path), (error.Code, error.Path));
        Assert.Contains(message, error.Message);
        Assert.True(error.Line > 0);
    }

    [Fact]
    public void A_host_no_stage_allows_is_a_conflict_with_its_location()
    {
        var result = Compile("  - id: api_token\n    hosts: [api.example.com:443, api.example.com:8443]\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((ErrorCode.PolicyConflict, "secrets[0].hosts[1]", 9), (error.Code, error.Path, error.Line));
        Assert.Contains("api.example.com:8443 is not allowed by the policy's network", error.Message);
    }
}
