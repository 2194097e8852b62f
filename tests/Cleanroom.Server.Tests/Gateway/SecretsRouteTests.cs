using Cleanroom.Errors;
using Cleanroom.Server.Gateway;

namespace Cleanroom.Server.Tests.Gateway;

public class SecretsRouteTests
{
    private const string Gateway = "10.1.0.1:8170";

    private static GatewayRoute Parse(string method, string target) => GatewayRequestTarget.Parse(method, target, Gateway, Gateway, []);

    [Theory]
    [InlineData("GET", "/secrets/api.test/v1/me?x=1", "api.test", 443, "/v1/me?x=1", "https")]
    [InlineData("POST", "/secrets/api.test:8080/upload", "api.test", 8080, "/upload", "http")]
    [InlineData("GET", "/secrets/api.test", "api.test", 443, "/", "https")]
    [InlineData("DELETE", "/secrets/api.test:443/", "api.test", 443, "/", "https")]
    [InlineData("PATCH", "/secrets/api.test/a%20b/c", "api.test", 443, "/a%20b/c", "https")]
    public void Requests_map_to_their_upstream(string method, string target, string host, int port, string upstream, string scheme)
    {
        var route = Assert.IsType<SecretsRoute>(Parse(method, target));

        Assert.Equal((host, port, upstream), (route.Host, route.Port, route.UpstreamPathAndQuery));
        Assert.Equal(scheme, route.UpstreamUri.Scheme);
        Assert.Equal($"{scheme}://{host}:{port}{upstream}", route.UpstreamUri.OriginalString);
        Assert.Equal("secrets", route.Service);
    }

    [Theory]
    [InlineData("/secrets/../git/api.test/x")]
    [InlineData("/secrets/api.test/%2e%2e/%2e%2e/meta/")]
    [InlineData("/secrets/api.test/a/../../b")]
    [InlineData("/secrets/api.test/a%2fb")]
    [InlineData("/secrets//api.test/x")]
    [InlineData("/secrets/api.test//x")]
    [InlineData("/secrets/API.test/x")]
    [InlineData("/secrets/api.test:0/x")]
    [InlineData("/secrets/api.test:http/x")]
    [InlineData("/secrets/user@api.test/x")]
    public void Paths_and_hosts_that_are_not_safe_are_refused(string target)
    {
        var refusal = Assert.IsType<RefusedRoute>(Parse("GET", target)).Refusal;

        Assert.Equal((400, ErrorCode.GatewayPathUnsafe), (refusal.Status, refusal.Code));
    }

    [Theory]
    [InlineData("TRACE")]
    [InlineData("TRACK")]
    [InlineData("PROPFIND")]
    public void Methods_that_echo_the_request_or_are_not_plain_http_are_refused(string method)
    {
        var refusal = Assert.IsType<RefusedRoute>(Parse(method, "/secrets/api.test/x")).Refusal;

        Assert.Equal((405, ErrorCode.GatewayMethodRefused, "secrets"), (refusal.Status, refusal.Code, refusal.Service));
    }

    [Fact]
    public void A_route_without_a_host_is_unknown()
    {
        Assert.Equal(ErrorCode.GatewayRouteUnknown, Assert.IsType<RefusedRoute>(Parse("GET", "/secrets/")).Refusal.Code);
        Assert.Equal(ErrorCode.GatewayRouteUnknown, Assert.IsType<RefusedRoute>(Parse("GET", "/secrets")).Refusal.Code);
    }
}
