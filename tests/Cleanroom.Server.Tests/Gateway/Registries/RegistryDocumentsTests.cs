using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Cleanroom.Policy;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Gateway.Registries;

namespace Cleanroom.Server.Tests.Gateway.Registries;

/// <summary>What the gateway reads from and rewrites in registry metadata, and what the guest is told.</summary>
public class RegistryDocumentsTests
{
    private static readonly Uri Npm = new("http://npm.test:8080/");
    private static readonly byte[] Tarball = Encoding.UTF8.GetBytes("pretend tarball");

    private static byte[] Document(string tarballUrl, string? integrity = null, string? shasum = null) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["name"] = "demo",
        ["versions"] = new JsonObject
        {
            ["1.0.0"] = new JsonObject
            {
                ["dist"] = new JsonObject { ["tarball"] = tarballUrl, ["integrity"] = integrity, ["shasum"] = shasum },
            },
        },
    }.ToJsonString());

    [Fact]
    public void Tarball_urls_on_the_registry_point_at_the_gateway_and_others_stay()
    {
        var rewritten = JsonNode.Parse(NpmDocument.Rewrite(Document("http://npm.test:8080/demo/-/demo-1.0.0.tgz"), Npm, "http://10.1.0.1:8170/npm/npm.test:8080/"))!;
        var elsewhere = JsonNode.Parse(NpmDocument.Rewrite(Document("http://cdn.test/demo/-/demo-1.0.0.tgz"), Npm, "http://10.1.0.1:8170/npm/npm.test:8080/"))!;

        Assert.Equal("http://10.1.0.1:8170/npm/npm.test:8080/demo/-/demo-1.0.0.tgz", (string?)rewritten["versions"]!["1.0.0"]!["dist"]!["tarball"]);
        Assert.Equal("http://cdn.test/demo/-/demo-1.0.0.tgz", (string?)elsewhere["versions"]!["1.0.0"]!["dist"]!["tarball"]);
    }

    [Fact]
    public void A_tarball_is_verified_against_the_strongest_integrity_its_version_names()
    {
        var sri = $"sha1-{Convert.ToBase64String(SHA1.HashData(Tarball))} sha512-{Convert.ToBase64String(SHA512.HashData(Tarball))}";
        var found = NpmDocument.Tarball(Document("http://npm.test:8080/demo/-/demo-1.0.0.tgz", sri), Npm, "demo/-/demo-1.0.0.tgz");
        var shasumOnly = NpmDocument.Tarball(Document("http://npm.test:8080/demo/-/demo-1.0.0.tgz", shasum: Convert.ToHexStringLower(SHA1.HashData(Tarball))), Npm, "demo/-/demo-1.0.0.tgz");

        Assert.Equal(new ContentDigest("sha512", SHA512.HashData(Tarball)).EntryName, found!.Value.Digest.EntryName);
        Assert.Equal(new Uri("http://npm.test:8080/demo/-/demo-1.0.0.tgz"), found.Value.Upstream);
        Assert.Equal("1.0.0", found.Value.Version);
        Assert.Equal("sha1", shasumOnly!.Value.Digest.Algorithm);
        Assert.Null(NpmDocument.Tarball(Document("http://npm.test:8080/demo/-/demo-1.0.0.tgz", sri), Npm, "demo/-/demo-2.0.0.tgz"));
        Assert.Null(NpmDocument.Tarball(Document("http://npm.test:8080/demo/-/demo-1.0.0.tgz"), Npm, "demo/-/demo-1.0.0.tgz")); // nothing to verify with
    }

    [Fact]
    public void Index_links_with_a_sha256_go_through_the_gateways_file_route_and_metadata_attributes_are_dropped()
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(Tarball));
        var page = Encoding.UTF8.GetBytes(
            $"<html><body><a href=\"../../files/demo-1.0-py3-none-any.whl#sha256={sha}\" data-dist-info-metadata=\"sha256={sha}\">demo-1.0-py3-none-any.whl</a>\n" +
            "<a href=\"https://files.test/demo-0.9.tar.gz\">demo-0.9.tar.gz</a></body></html>");

        var rewritten = Encoding.UTF8.GetString(PypiIndexPage.Rewrite(page, new Uri("http://pypi.test:8080/simple/demo/"), "http://10.1.0.1:8170/pypi/pypi.test:8080/"));

        Assert.Contains($"href=\"http://10.1.0.1:8170/pypi/pypi.test:8080/-files/sha256-{sha}/pypi.test:8080/files/demo-1.0-py3-none-any.whl#sha256={sha}\"", rewritten);
        Assert.DoesNotContain("data-dist-info-metadata", rewritten);
        Assert.Contains("href=\"https://files.test/demo-0.9.tar.gz\"", rewritten); // no digest: not served by the gateway
    }

    [Fact]
    public void The_guest_is_pointed_only_at_registries_some_stage_of_its_policy_allows()
    {
        var endpoints = new RegistryEndpoints(new RegistrySettings([new Uri("https://registry.npmjs.org/"), Npm], [new Uri("http://pypi.test:8080/simple/")], [new Uri("http://proxy.test:8080/")]));
        ImmutableArray<EgressRule> dependencies = [new EgressRule("npm.test", [8080]), new EgressRule("pypi.test", [8080]), new EgressRule("proxy.test", [8080])];
        var stages = new StageRules([], dependencies, [], []);

        var environment = endpoints.GuestEnvironment(stages, "10.1.0.1:8170", "10.1.0.1").ToDictionary();
        var none = endpoints.GuestEnvironment(new StageRules([], [], [], [new EgressRule("npm.test", [443])]), "10.1.0.1:8170", "10.1.0.1");

        Assert.Equal("http://10.1.0.1:8170/npm/npm.test:8080/", environment["npm_config_registry"]);
        Assert.Equal("http://10.1.0.1:8170/pypi/pypi.test:8080/simple/", environment["PIP_INDEX_URL"]);
        Assert.Equal("10.1.0.1", environment["PIP_TRUSTED_HOST"]);
        Assert.Equal("http://10.1.0.1:8170/go/proxy.test:8080/", environment["GOPROXY"]);
        Assert.False(environment.ContainsKey("GONOSUMDB")); // the go client's own checksum database checks stay on
        Assert.False(environment.ContainsKey("GOSUMDB"));
        Assert.Empty(none);
    }

    [Fact]
    public void A_route_matches_the_declared_registry_by_protocol_host_port_and_base_path()
    {
        var endpoints = new RegistryEndpoints(new RegistrySettings([new Uri("http://npm.test:8080/")], [new Uri("http://pypi.test:8080/simple/")], []));

        Assert.Equal("demo", endpoints.Match(new RegistryRoute("npm", "npm.test", 8080, "/demo"))!.Value.Relative);
        Assert.Equal("demo/", endpoints.Match(new RegistryRoute("pypi", "pypi.test", 8080, "/simple/demo/"))!.Value.Relative);
        Assert.Null(endpoints.Match(new RegistryRoute("pypi", "pypi.test", 8080, "/other/demo/")));
        Assert.Null(endpoints.Match(new RegistryRoute("npm", "npm.test", 443, "/demo")));
        Assert.Null(endpoints.Match(new RegistryRoute("pypi", "npm.test", 8080, "/demo")));
    }
}
