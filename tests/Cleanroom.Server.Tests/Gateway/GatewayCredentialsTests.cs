using System.Text;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Gateway;

namespace Cleanroom.Server.Tests.Gateway;

public class GatewayCredentialsTests
{
    [Fact]
    public async Task A_token_from_the_environment_becomes_http_basic_with_the_default_user()
    {
        var credentials = new GatewayCredentials(
            new Dictionary<string, GatewayCredentialSource> { ["git.test"] = new("git.test", "T", null, null) },
            name => name == "T" ? "s3cret\n" : null);

        var header = (await credentials.AuthorizationForAsync("git.test", "/org/repo", default))!;

        Assert.Equal("Basic", header.Scheme);
        Assert.Equal("x-access-token:s3cret", Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter!)));
        Assert.Null(await credentials.AuthorizationForAsync("other.test", "/org/repo", default));
    }

    [Fact]
    public async Task A_token_file_is_read_with_its_username()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-file\n");
            var credentials = new GatewayCredentials(
                new Dictionary<string, GatewayCredentialSource> { ["git.test"] = new("git.test", null, file, "bot") }, _ => null);

            var header = (await credentials.AuthorizationForAsync("git.test", "/org/repo", default))!;

            Assert.Equal("bot:from-file", Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter!)));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_configured_credential_that_cannot_be_read_fails_closed_and_says_where_not_what()
    {
        var credentials = new GatewayCredentials(new Dictionary<string, GatewayCredentialSource>
        {
            ["unset.test"] = new("unset.test", "UNSET_VAR", null, null),
            ["missing.test"] = new("missing.test", null, "/nonexistent/token", null),
            ["empty.test"] = new("empty.test", "EMPTY", null, null),
        }, name => name == "EMPTY" ? "  " : null);

        var unset = await Assert.ThrowsAsync<CredentialUnavailableException>(() => credentials.AuthorizationForAsync("unset.test", "/org/repo", default));
        Assert.Contains("UNSET_VAR", unset.Message);
        Assert.Contains("not set", unset.Message);
        await Assert.ThrowsAsync<CredentialUnavailableException>(() => credentials.AuthorizationForAsync("missing.test", "/org/repo", default));
        await Assert.ThrowsAsync<CredentialUnavailableException>(() => credentials.AuthorizationForAsync("empty.test", "/org/repo", default));
        var problems = credentials.Check().ToDictionary(c => c.Host, c => c.Problem);
        Assert.Equal(3, problems.Count(p => p.Value is not null));
    }
}
