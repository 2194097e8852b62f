using System.Collections.Immutable;
using Cleanroom.Policy;
using Cleanroom.Server.Gateway;

namespace Cleanroom.Server.Tests.Gateway;

public class GuestGitConfigTests
{
    [Fact]
    public void Each_allowed_name_and_port_is_rewritten_to_the_gateway_and_ip_literals_are_not()
    {
        var config = GuestGitConfig.For(
        [
            new EgressRule("github.com", [443]),
            new EgressRule("git.test", [8080, 443]),
            new EgressRule("198.18.0.2", [80]),
        ], "10.1.0.1:8170");

        Assert.Contains("[url \"http://10.1.0.1:8170/git/github.com/\"]\n\tinsteadOf = https://github.com/\n", config);
        Assert.Contains("[url \"http://10.1.0.1:8170/git/git.test/\"]\n\tinsteadOf = https://git.test/\n", config);
        Assert.Contains("[url \"http://10.1.0.1:8170/git/git.test:8080/\"]\n\tinsteadOf = http://git.test:8080/\n", config);
        Assert.DoesNotContain("198.18.0.2", config);
    }
}
