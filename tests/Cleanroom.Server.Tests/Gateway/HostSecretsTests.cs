using System.Collections.Immutable;
using Cleanroom.Errors;
using Cleanroom.Policy;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Gateway;

namespace Cleanroom.Server.Tests.Gateway;

public class HostSecretsTests
{
    private static readonly HostSecrets Secrets = new(
        new Dictionary<string, SecretSource>
        {
            ["api_token"] = new("api_token", "API_TOKEN", null),
            ["unset"] = new("unset", "UNSET_TOKEN", null),
            ["gone"] = new("gone", null, "/nonexistent/cleanroom-secret"),
        },
        name => name == "API_TOKEN" ? " value-of-the-api-token\n" : null);

    private static ImmutableArray<SecretBinding> Bindings(params string[] ids) =>
        [.. ids.Select(id => new SecretBinding(id, ["api.test:443"], "Authorization", "Bearer {value}"))];

    [Fact]
    public void A_value_is_read_trimmed_when_needed()
    {
        Assert.Equal("value-of-the-api-token", Secrets.Value("api_token"));
        Secrets.RequireAvailable(Bindings("api_token"));
    }

    [Fact]
    public void A_binding_the_server_cannot_provide_fails_closed_naming_the_ids_and_never_a_value()
    {
        var error = Assert.Throws<CleanroomException>(() => Secrets.RequireAvailable(Bindings("api_token", "missing", "unset", "gone")));

        Assert.Equal(ErrorCode.SecretUnavailable, error.Code);
        Assert.Contains("missing (not in the server's runtime config secrets:)", error.Message);
        Assert.Contains("unset (environment variable UNSET_TOKEN: the variable is not set", error.Message);
        Assert.Contains("gone (file /nonexistent/cleanroom-secret: the file does not exist)", error.Message);
        Assert.DoesNotContain("api_token", error.Message);
        Assert.DoesNotContain("value-of-the-api-token", error.Message);
    }

    [Fact]
    public void A_value_that_cannot_be_read_at_request_time_is_an_error_without_the_value()
    {
        var error = Assert.Throws<CredentialUnavailableException>(() => Secrets.Value("unset"));

        Assert.Contains("UNSET_TOKEN", error.Message);
        Assert.Throws<CredentialUnavailableException>(() => Secrets.Value("missing"));
    }
}
