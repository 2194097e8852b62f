using Cleanroom.Errors;
using Cleanroom.Policy;

namespace Cleanroom.Client.Tests;

public class PolicyBuilderTests
{
    private const string Image = "cleanroom.local/debian:latest@sha256:653f3f40ce3787fc892fec7b1726ed27c72e2408007f20f718586dc5e025f333";

    [Fact]
    public void FromAllowlist_hashes_like_the_compiler_compiling_the_same_policy_file()
    {
        var built = Client.Policy.FromAllowlist(Image,
            Client.Policy.Allow("registry.npmjs.org", 443),
            Client.Policy.Allow("api.github.com", 443, 80),
            Client.Policy.Allow("API.GitHub.com", 443));
        // The same policy as a user would write it: shorthand, another order, a duplicate, the case the compiler folds.
        var yaml = $"""
            version: 1
            sandbox:
              image:
                ref: {Image}
              network:
                default: deny
                allow:
                  - api.github.com:80
                  - registry.npmjs.org:443
                  - host: api.github.com
                    ports: [443, 443]
            """;
        var compiled = PolicyCompiler.Compile(yaml, "cleanroom.yaml");

        Assert.True(compiled.Valid, string.Join("; ", compiled.Errors));
        Assert.Equal(compiled.Policy!.PolicyHash, built.Hash);
        Assert.Equal(compiled.Policy.CanonicalJson, built.CanonicalJson);
        Assert.Equal(Image, built.ImageRef);
        Assert.StartsWith("sha256:", built.Hash);
    }

    [Fact]
    public void Different_allowlists_hash_differently()
    {
        var a = Client.Policy.FromAllowlist(Image, Client.Policy.Allow("api.github.com", 443));
        var b = Client.Policy.FromAllowlist(Image, Client.Policy.Allow("api.github.com", 8443));
        var none = Client.Policy.FromAllowlist(Image);

        Assert.NotEqual(a.Hash, b.Hash);
        Assert.NotEqual(a.Hash, none.Hash);
        Assert.Equal(PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: {Image}\n", "x").Policy!.PolicyHash, none.Hash);
    }

    [Theory]
    [InlineData("*.github.com", 443)]
    [InlineData("https://api.github.com", 443)]
    [InlineData("api.github.com", 70000)]
    [InlineData("10.0.0.0/8", 443)]
    public void A_bad_allow_entry_is_policy_invalid(string host, int port)
    {
        var ex = Assert.Throws<CleanroomException>(() => Client.Policy.FromAllowlist(Image, Client.Policy.Allow(host, port)));

        Assert.Equal(ErrorCode.PolicyInvalid, ex.Code);
        Assert.Contains("allow", ex.Message);
    }

    [Fact]
    public void An_image_without_a_digest_is_policy_invalid()
    {
        var ex = Assert.Throws<CleanroomException>(() => Client.Policy.FromAllowlist("debian:latest"));

        Assert.Equal(ErrorCode.PolicyInvalid, ex.Code);
        Assert.Contains("digest", ex.Message);
    }

    [Fact]
    public void A_host_string_cannot_change_the_shape_of_the_policy()
    {
        // Quotes and newlines in a host end up as one (invalid) host, never as extra YAML or JSON structure.
        var ex = Assert.Throws<CleanroomException>(() =>
            Client.Policy.FromAllowlist(Image, Client.Policy.Allow("a.com\", \"ports\": [1]}, {\"host\": \"b.com\n  default: allow", 443)));

        Assert.Equal(ErrorCode.PolicyInvalid, ex.Code);
    }
}
