using System.Text;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Gateway;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Server.Tests.Gateway;

public class GitCredentialHelperTests
{
    [Theory]
    [InlineData("protocol=https\nhost=git.test\nusername=bot\npassword=pw=with=equals\n", "bot", "pw=with=equals")]
    [InlineData("username=bot\npassword=pw\n\nusername=late\n", "bot", "pw")]
    [InlineData("password=pw\nusername=bot", "bot", "pw")]
    public void The_username_and_password_are_read_from_gits_answer(string output, string username, string password) =>
        Assert.Equal((username, password), GitCredentialHelper.Parse(output));

    [Theory]
    [InlineData("")]
    [InlineData("username=bot\n")]
    [InlineData("password=pw\n")]
    [InlineData("username=\npassword=pw\n")]
    [InlineData("username=a:b\npassword=pw\n")]
    [InlineData("username=bot\npassword=p\rw\n")]
    [InlineData("\nusername=bot\npassword=pw\n")]
    public void An_answer_without_a_usable_username_and_password_is_none(string output) =>
        Assert.Null(GitCredentialHelper.Parse(output));

    [Fact]
    public async Task A_helper_is_asked_through_git_credential_fill_with_the_host_and_path_and_nothing_else_is_asked()
    {
        var directory = Directory.CreateTempSubdirectory("cleanroom-helper-");
        try
        {
            var seen = Path.Combine(directory.FullName, "seen");
            var helper = Path.Combine(directory.FullName, "helper");
            // A real helper program: records what git asked and answers for git.test only.
            File.WriteAllText(helper, $"#!/bin/sh\n[ \"$1\" = get ] || exit 0\ncat > {seen}\ngrep -q '^host=git.test$' {seen} && printf 'username=bot\\npassword=from-helper\\n'\n");
            File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var credentials = new GatewayCredentials(
                new Dictionary<string, GatewayCredentialSource>
                {
                    ["git.test"] = new("git.test", null, null, null) { Helper = helper },
                    ["other.test"] = new("other.test", null, null, null) { Helper = helper },
                },
                _ => null, null, new GitCredentialHelper(NullLogger.Instance));

            var header = await credentials.AuthorizationForAsync("git.test", "/org/repo.git", default);

            Assert.Equal("bot:from-helper", Encoding.UTF8.GetString(Convert.FromBase64String(header!.Parameter!)));
            var asked = File.ReadAllText(seen);
            Assert.Contains("protocol=https\n", asked);
            Assert.Contains("path=org/repo.git\n", asked);
            // The helper gave nothing for this host and git may not prompt: the request fails closed.
            var failure = await Assert.ThrowsAsync<CredentialUnavailableException>(() => credentials.AuthorizationForAsync("other.test", "/org/repo.git", default));
            Assert.Equal("credential_helper_failed", failure.Code);
            Assert.Contains("credential helper", credentials.Check().Single(c => c.Host == "git.test").Source);
            Assert.Null(credentials.Check().Single(c => c.Host == "git.test").Problem);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
