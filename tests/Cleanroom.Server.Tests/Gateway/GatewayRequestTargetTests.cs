using Cleanroom.Errors;
using Cleanroom.Server.Gateway;

namespace Cleanroom.Server.Tests.Gateway;

public class GatewayRequestTargetTests
{
    private const string Gateway = "10.1.0.1:8170";

    private static GatewayRoute Parse(string method, string target, string? host = Gateway, params (string, string)[] headers) =>
        GatewayRequestTarget.Parse(method, target, host, Gateway, headers);

    private static GatewayRefusal Refused(GatewayRoute route) => Assert.IsType<RefusedRoute>(route).Refusal;

    [Fact]
    public void Meta_is_served_with_and_without_its_trailing_slash()
    {
        Assert.IsType<MetaRoute>(Parse("GET", "/meta/"));
        Assert.IsType<MetaRoute>(Parse("GET", "/meta"));
    }

    [Theory]
    [InlineData("GET", "/git/git.test:8080/org/repo.git/info/refs?service=git-upload-pack", "git.test", 8080, "/org/repo.git/info/refs?service=git-upload-pack", false)]
    [InlineData("POST", "/git/git.test:8080/org/repo.git/git-upload-pack", "git.test", 8080, "/org/repo.git/git-upload-pack", false)]
    [InlineData("GET", "/git/github.com/org/repo/info/refs?service=git-receive-pack", "github.com", 443, "/org/repo/info/refs?service=git-receive-pack", true)]
    [InlineData("POST", "/git/github.com/org/sub/repo.git/git-receive-pack", "github.com", 443, "/org/sub/repo.git/git-receive-pack", true)]
    public void Git_smart_http_requests_map_to_their_upstream(string method, string target, string host, int port, string upstream, bool push)
    {
        var git = Assert.IsType<GitRoute>(Parse(method, target));

        Assert.Equal(host, git.Host);
        Assert.Equal(port, git.Port);
        Assert.Equal(upstream, git.UpstreamPathAndQuery);
        Assert.Equal(push, git.Push);
        Assert.Equal(port == 443 ? "https" : "http", git.UpstreamUri.Scheme);
    }

    [Theory]
    [InlineData("/git/../meta/")]
    [InlineData("/git/git.test/org/../../etc/info/refs?service=git-upload-pack")]
    [InlineData("/git/git.test/org/%2e%2e/repo/info/refs?service=git-upload-pack")]
    [InlineData("/git/git.test/org/%2E%2e/repo/git-upload-pack")]
    [InlineData("/git/git.test/org/.%2e/repo/git-upload-pack")]
    [InlineData("/git/git.test/org/./repo/git-upload-pack")]
    [InlineData("/git/git.test/org%2frepo/x/git-upload-pack")]
    [InlineData("/git/git.test/org%2Frepo/x/git-upload-pack")]
    [InlineData("/git/git.test/org%5crepo/x/git-upload-pack")]
    [InlineData("/git/git.test/org\\repo/x/git-upload-pack")]
    [InlineData("/git//git.test/org/repo/git-upload-pack")]
    [InlineData("/git/git.test//org/repo/git-upload-pack")]
    [InlineData("//meta/")]
    [InlineData("/git/git.test/org/repo%00/git-upload-pack")]
    [InlineData("/git/git.test/org/repo%zz/git-upload-pack")]
    [InlineData("/meta/%2e%2e/")]
    public void Paths_that_leave_their_route_after_canonicalisation_are_refused(string target)
    {
        var refusal = Refused(Parse("POST", target));

        Assert.Equal(ErrorCode.GatewayPathUnsafe, refusal.Code);
        Assert.Equal(400, refusal.Status);
    }

    [Theory]
    [InlineData("http://git.test/org/repo/info/refs")]
    [InlineData("http://10.1.0.1:8170/meta/")]
    [InlineData("git.test:443")]
    [InlineData("*")]
    public void Absolute_authority_and_asterisk_forms_are_refused(string target)
    {
        var refusal = Refused(Parse("GET", target));

        Assert.Equal(ErrorCode.GatewayTargetRefused, refusal.Code);
        Assert.Equal(400, refusal.Status);
    }

    [Fact]
    public void Connect_is_refused()
    {
        var refusal = Refused(Parse("CONNECT", "git.test:443"));

        Assert.Equal(ErrorCode.GatewayMethodRefused, refusal.Code);
        Assert.Equal(405, refusal.Status);
    }

    [Theory]
    [InlineData("git.test")]
    [InlineData("10.1.0.1")]
    [InlineData("10.1.0.5:8170")]
    [InlineData("")]
    [InlineData(null)]
    public void A_host_header_other_than_the_gateways_own_address_is_refused(string? host)
    {
        var refusal = Refused(Parse("GET", "/meta/", host));

        Assert.Equal(ErrorCode.GatewayHostMismatch, refusal.Code);
    }

    [Theory]
    [InlineData("X-Test", "a\r\nInjected: yes")]
    [InlineData("X-Test", "a\nb")]
    [InlineData("X-Test", "a\rb")]
    [InlineData("X-Test", "a\0b")]
    [InlineData("X-Te\r\nst", "a")]
    public void Headers_with_cr_lf_or_nul_are_refused(string name, string value)
    {
        var refusal = Refused(Parse("GET", "/meta/", Gateway, (name, value)));

        Assert.Equal(ErrorCode.GatewayHeaderInvalid, refusal.Code);
    }

    [Theory]
    [InlineData("GET", "/other/x")]
    [InlineData("GET", "/")]
    [InlineData("GET", "/meta/other")]
    [InlineData("GET", "/git/git.test/org/repo/HEAD")]
    [InlineData("GET", "/git/git.test/org/repo/objects/info/packs")]
    [InlineData("GET", "/git/git.test/org/repo/info/refs")]
    [InlineData("GET", "/git/git.test/org/repo/info/refs?service=other")]
    [InlineData("GET", "/git/git.test/api/v3/user")]
    [InlineData("GET", "/git/git.test/info/refs?service=git-upload-pack")]
    public void Anything_but_meta_git_smart_http_and_secrets_is_an_unknown_route(string method, string target)
    {
        Assert.Equal(ErrorCode.GatewayRouteUnknown, Refused(Parse(method, target)).Code);
    }

    [Theory]
    [InlineData("GET", "/git/git.test/org/repo/git-upload-pack")]
    [InlineData("PUT", "/git/git.test/org/repo/git-receive-pack")]
    [InlineData("POST", "/meta/")]
    public void A_method_the_route_does_not_serve_is_refused(string method, string target)
    {
        Assert.Equal(ErrorCode.GatewayMethodRefused, Refused(Parse(method, target)).Code);
    }

    [Theory]
    [InlineData("/git/Git.Test/org/repo/git-upload-pack")]
    [InlineData("/git/git.test:0/org/repo/git-upload-pack")]
    [InlineData("/git/git.test:70000/org/repo/git-upload-pack")]
    [InlineData("/git/git_test/org/repo/git-upload-pack")]
    [InlineData("/git/user@git.test/org/repo/git-upload-pack")]
    public void A_host_segment_that_is_not_a_lowercase_name_with_port_is_refused(string target)
    {
        Assert.Equal(ErrorCode.GatewayPathUnsafe, Refused(Parse("POST", target)).Code);
    }
}
