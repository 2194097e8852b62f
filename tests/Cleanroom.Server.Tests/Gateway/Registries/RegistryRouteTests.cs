using Cleanroom.Errors;
using Cleanroom.Server.Gateway;
using Cleanroom.Server.Gateway.Registries;

namespace Cleanroom.Server.Tests.Gateway.Registries;

public class RegistryRouteTests
{
    private const string Gateway = "10.1.0.1:8170";

    private static GatewayRoute Parse(string method, string target) => GatewayRequestTarget.Parse(method, target, Gateway, Gateway, []);

    [Theory]
    [InlineData("/npm/npm.test:8080/left-pad", "npm", "npm.test", 8080, "/left-pad")]
    [InlineData("/npm/registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz", "npm", "registry.npmjs.org", 443, "/left-pad/-/left-pad-1.3.0.tgz")]
    [InlineData("/pypi/pypi.org/simple/requests/", "pypi", "pypi.org", 443, "/simple/requests/")]
    [InlineData("/npm/registry.npmjs.org/@types%2fnode", "npm", "registry.npmjs.org", 443, "/@types%2fnode")] // a scoped name, as npm sends it
    [InlineData("/npm/registry.npmjs.org/@types/node/-/node-20.0.0.tgz", "npm", "registry.npmjs.org", 443, "/@types/node/-/node-20.0.0.tgz")]
    [InlineData("/pypi/pypi.test%3A8080/-files/sha256-ab/files.test%3A8080/x.whl", "pypi", "pypi.test", 8080, "/-files/sha256-ab/files.test%3A8080/x.whl")] // as pip sends links
    public void Registry_reads_map_to_their_registry_host_and_path(string target, string kind, string host, int port, string path) =>
        Assert.Equal(new RegistryRoute(kind, host, port, path), Parse("GET", target));

    [Theory]
    [InlineData("POST", "/npm/npm.test/-/npm/v1/security/advisories/bulk", ErrorCode.GatewayMethodRefused)]
    [InlineData("PUT", "/npm/npm.test/left-pad", ErrorCode.GatewayMethodRefused)]
    [InlineData("GET", "/npm/npm.test/left-pad?write=true", ErrorCode.GatewayRouteUnknown)]
    [InlineData("GET", "/pypi/pypi.test/simple/%2e%2e/x/", ErrorCode.GatewayPathUnsafe)]
    [InlineData("GET", "/npm/NPM.test/left-pad", ErrorCode.GatewayPathUnsafe)]
    [InlineData("GET", "/npm/npm.test", ErrorCode.GatewayRouteUnknown)]
    [InlineData("GET", "/npm/npm.test/@scope%2f..", ErrorCode.GatewayPathUnsafe)]
    [InlineData("GET", "/npm/npm.test/@scope%2f%2e%2e", ErrorCode.GatewayPathUnsafe)]
    [InlineData("GET", "/pypi/pypi.test/@scope%2fname", ErrorCode.GatewayPathUnsafe)]
    [InlineData("GET", "/git/git.test/@scope%2fname/info/refs?service=git-upload-pack", ErrorCode.GatewayPathUnsafe)]
    public void Anything_but_a_plain_read_of_a_safe_path_is_refused(string method, string target, string code) =>
        Assert.Equal(code, Assert.IsType<RefusedRoute>(Parse(method, target)).Refusal.Code);
}
