using Cleanroom.Errors;
using Cleanroom.Server.Gateway;
using Cleanroom.Server.Gateway.Registries;

namespace Cleanroom.Server.Tests.Gateway.Registries;

public class DownloadRouteTests
{
    private const string Gateway = "10.1.0.1:8170";
    private static readonly string Sha256 = new('a', 64);

    private static GatewayRoute Parse(string method, string target) => GatewayRequestTarget.Parse(method, target, Gateway, Gateway, []);

    [Theory]
    [InlineData("https/files.test/tools/x.tar.gz", "https://files.test:443/tools/x.tar.gz")]
    [InlineData("http/files.test/x.bin", "http://files.test:80/x.bin")]
    [InlineData("http/files.test:8080/a/b/x.bin", "http://files.test:8080/a/b/x.bin")]
    [InlineData("https/files.test%3A8443/x.bin", "https://files.test:8443/x.bin")]
    public void A_download_names_its_digest_and_the_upstream_url(string rest, string upstream)
    {
        var route = Assert.IsType<DownloadRoute>(Parse("GET", $"/download/sha256/{Sha256}/{rest}"));

        Assert.Equal(new Uri(upstream), route.Upstream);
        Assert.Equal($"sha256-{Sha256}", route.Digest.EntryName);
        Assert.Equal("download", route.Service);
    }

    [Theory]
    [InlineData("GET", "/download/sha1/0123456789012345678901234567890123456789/https/files.test/x", ErrorCode.GatewayRouteUnknown)]
    [InlineData("GET", "/download/sha256/abc/https/files.test/x", ErrorCode.GatewayRouteUnknown)]
    [InlineData("GET", "/download/sha256/HEX/ftp/files.test/x", ErrorCode.GatewayRouteUnknown)]
    [InlineData("GET", "/download/sha256/HEX/https/files.test/", ErrorCode.GatewayRouteUnknown)]
    [InlineData("GET", "/download/sha256/HEX/https/files.test", ErrorCode.GatewayRouteUnknown)]
    [InlineData("GET", "/download/sha256/HEX/https/files.test/x?sig=1", ErrorCode.GatewayRouteUnknown)]
    [InlineData("POST", "/download/sha256/HEX/https/files.test/x", ErrorCode.GatewayMethodRefused)]
    [InlineData("GET", "/download/sha256/HEX/https/Files.Test/x", ErrorCode.GatewayPathUnsafe)]
    [InlineData("GET", "/download/sha256/HEX/https/files.test/%2e%2e/x", ErrorCode.GatewayPathUnsafe)]
    [InlineData("GET", "/download/sha256/HEX/https/files.test:99999/x", ErrorCode.GatewayPathUnsafe)]
    public void Anything_but_a_digest_and_a_safe_http_url_is_refused(string method, string target, string code) =>
        Assert.Equal(code, Assert.IsType<RefusedRoute>(Parse(method, target.Replace("HEX", Sha256))).Refusal.Code);

    [Fact]
    public void Go_proxy_reads_are_registry_routes() =>
        Assert.Equal(new RegistryRoute("go", "proxy.golang.org", 443, "/github.com/!burnt!sushi/toml/@v/v1.3.2.zip"),
            Parse("GET", "/go/proxy.golang.org/github.com/!burnt!sushi/toml/@v/v1.3.2.zip"));
}
