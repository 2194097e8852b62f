using Cleanroom.Errors;
using Cleanroom.Server.Checkouts;

namespace Cleanroom.Server.Tests.Checkouts;

public sealed class RepositoryUrlTests
{
    [Theory]
    [InlineData("https://github.com/org/repo", "github.com", 443, "/org/repo")]
    [InlineData("https://github.com/org/repo.git/", "github.com", 443, "/org/repo.git")]
    [InlineData("https://GitHub.com:443/org/repo", "github.com", 443, "/org/repo")]
    [InlineData("http://git.test:8080/cgi-bin/git/org/repo.git", "git.test", 8080, "/cgi-bin/git/org/repo.git")]
    public void A_repository_url_becomes_the_gateway_route_a_sandbox_clone_of_it_would_take(string url, string host, int port, string path)
    {
        var route = RepositoryUrl.Parse(url);

        Assert.Equal((host, port, path, false), (route.Host, route.Port, route.UpstreamPathAndQuery, route.Push));
        Assert.Equal(port == 443 ? $"https://{host}{path}" : $"http://{host}:{port}{path}", RepositoryUrl.Display(route));
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("ssh://github.com/org/repo", "must be an http(s) URL")]
    [InlineData("git@github.com:org/repo", "must be an http(s) URL")]
    [InlineData("https://user:token@github.com/org/repo", "must not hold a user or password")]
    [InlineData("https://github.com/org/repo?x=1", "must not have a query")]
    [InlineData("https://github.com/org/repo#main", "must not have a query")]
    [InlineData("http://github.com:443/org/repo", "https is for port 443")]
    [InlineData("https://github.com:8443/org/repo", "https is for port 443")]
    [InlineData("https://github.com", "names no repository path")]
    [InlineData("https://github.com/org/../secrets/x", "dot segments")]
    [InlineData("https://github.com/org/%2e%2e/x", "dot segments")]
    [InlineData("https://github.com/org//repo", "empty path segments")]
    [InlineData("https://github.com/org/a%2fb", "encoded '/'")]
    [InlineData("https://127.0.0.1/org/repo", "by a DNS name")]
    public void A_url_the_gateway_would_not_route_is_refused_with_invalid_argument(string url, string problem)
    {
        var error = Assert.Throws<CleanroomException>(() => RepositoryUrl.Parse(url));

        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.StartsWith("repository_checkout.url ", error.Message);
        Assert.Contains(problem, error.Message);
    }
}
