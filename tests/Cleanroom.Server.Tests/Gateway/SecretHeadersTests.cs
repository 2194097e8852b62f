using System.Collections.Immutable;
using Cleanroom.Errors;
using Cleanroom.Policy;
using Cleanroom.Server.Gateway;

namespace Cleanroom.Server.Tests.Gateway;

public class SecretHeadersTests
{
    private static readonly SandboxSecret Api = new(
        new SecretBinding("api_token", ["api.test:443", "mirror.test:8080"], "Authorization", "Bearer {value}"), "cleanroom-secret-api_token-0123");

    private static readonly SandboxSecret Key = new(
        new SecretBinding("key", ["keys.test:443"], "X-Api-Key", "{value}"), "cleanroom-secret-key-4567");

    private static readonly ImmutableArray<SandboxSecret> Both = [Api, Key];

    private static SecretHeaderPlan Plan(string host, int port, params (string Name, string Value)[] headers) =>
        SecretHeaders.Plan(Both, host, port, headers.GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase)
            .Select(g => (g.Key, (IReadOnlyList<string>)g.Select(h => h.Value).ToArray())));

    [Theory]
    [InlineData("Authorization", "cleanroom-secret-api_token-0123")]
    [InlineData("authorization", "Bearer cleanroom-secret-api_token-0123")]
    [InlineData("Authorization", "  cleanroom-secret-api_token-0123 ")]
    public void The_bare_placeholder_or_the_bindings_form_in_the_bindings_header_is_planned(string header, string value)
    {
        var plan = Plan("api.test", 443, (header, value), ("Accept", "application/json"));

        Assert.Null(plan.Refusal);
        var (name, secret) = Assert.Single(plan.Sets);
        Assert.Equal(("Authorization", Api), (name, secret));
    }

    [Fact]
    public void Each_destination_gets_only_the_secrets_bound_to_it()
    {
        Assert.Equal([("X-Api-Key", Key)], Plan("keys.test", 443, ("X-Api-Key", Key.Placeholder)).Sets);
        Assert.Equal([("Authorization", Api)], Plan("mirror.test", 8080, ("Authorization", Api.Placeholder)).Sets);
        Assert.Empty(Plan("api.test", 443, ("Authorization", "Bearer my-own-token")).Sets); // no placeholder: passed on as the guest sent it
    }

    [Theory]
    [InlineData("other.test", 443, "Authorization", "cleanroom-secret-api_token-0123", "not bound to other.test:443")]
    [InlineData("api.test", 8443, "Authorization", "cleanroom-secret-api_token-0123", "not bound to api.test:8443")]
    [InlineData("keys.test", 443, "Authorization", "cleanroom-secret-api_token-0123", "not bound to keys.test:443")]
    [InlineData("api.test", 443, "X-Echo", "cleanroom-secret-api_token-0123", "only be sent in the Authorization header")]
    [InlineData("api.test", 443, "Cookie", "a=cleanroom-secret-api_token-0123", "only be sent in the Authorization header")]
    [InlineData("api.test", 443, "Authorization", "Basic cleanroom-secret-api_token-0123", "must be exactly $CLEANROOM_SECRET_API_TOKEN or \"Bearer $CLEANROOM_SECRET_API_TOKEN\"")]
    [InlineData("api.test", 443, "Authorization", "cleanroom-secret-api_token-0123cleanroom-secret-api_token-0123", "must be exactly")]
    public void A_placeholder_outside_its_bindings_scope_is_a_scope_violation(string host, int port, string header, string value, string message)
    {
        var refusal = Plan(host, port, (header, value)).Refusal;

        Assert.NotNull(refusal);
        Assert.Equal((403, ErrorCode.SecretScopeViolation, "secrets"), (refusal.Status, refusal.Code, refusal.Service));
        Assert.Contains(message, refusal.Message);
        Assert.DoesNotContain(Api.Placeholder, refusal.Message);
    }

    [Fact]
    public void A_scope_violation_anywhere_refuses_the_whole_request()
    {
        var plan = Plan("api.test", 443, ("Authorization", Api.Placeholder), ("X-Api-Key", Key.Placeholder));

        Assert.Equal(ErrorCode.SecretScopeViolation, plan.Refusal?.Code);
        Assert.Empty(plan.Sets);
    }

    [Fact]
    public void The_bound_header_with_a_placeholder_must_be_sent_once()
    {
        var plan = Plan("api.test", 443, ("Authorization", Api.Placeholder), ("Authorization", "Bearer x"));

        Assert.Equal(ErrorCode.SecretScopeViolation, plan.Refusal?.Code);
        Assert.Contains("sent once", plan.Refusal!.Message);
    }

    [Fact]
    public void Placeholders_are_per_sandbox_unguessable_and_name_their_id()
    {
        var bindings = ImmutableArray.Create(Api.Binding, Key.Binding);

        var first = SandboxSecret.For(bindings);
        var second = SandboxSecret.For(bindings);

        Assert.Matches("^cleanroom-secret-api_token-[0-9a-f]{32}$", first[0].Placeholder);
        Assert.Matches("^cleanroom-secret-key-[0-9a-f]{32}$", first[1].Placeholder);
        Assert.NotEqual(first[0].Placeholder, second[0].Placeholder);
    }
}
