using System.Text;
using Cleanroom.Images.Registry.Auth;

namespace Cleanroom.Images.Registry.Tests;

/// <summary>The small parsers of the protocol: auth challenges and Docker config credentials.</summary>
public sealed class RegistryProtocolTests
{
    [Fact]
    public void A_bearer_challenge_keeps_commas_inside_a_quoted_scope()
    {
        var challenge = AuthChallenge.Parse("Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\",scope=\"repository:a/b:pull,push\"")!;

        Assert.True(challenge.IsBearer);
        Assert.Equal("https://auth.example.com/token", challenge["realm"]);
        Assert.Equal("registry.example.com", challenge["service"]);
        Assert.Equal("repository:a/b:pull,push", challenge["scope"]);
    }

    [Fact]
    public void A_basic_challenge_with_an_unquoted_realm_parses()
    {
        var challenge = AuthChallenge.Parse("Basic realm=cleanroom")!;

        Assert.True(challenge.IsBasic);
        Assert.Equal("cleanroom", challenge["realm"]);
    }

    [Fact]
    public void Docker_config_keys_in_any_spelling_find_the_registry()
    {
        var path = Path.GetTempFileName();
        try
        {
            string Auth(string pair) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pair));
            File.WriteAllText(path, $$$"""
                {"auths": {
                  "https://index.docker.io/v1/": {"auth": "{{{Auth("hub:pw1")}}}"},
                  "ghcr.io": {"auth": "{{{Auth("gh:pw:with:colons")}}}"},
                  "http://127.0.0.1:5000": {"auth": "{{{Auth("local:pw3")}}}"}
                }}
                """);
            var source = new CredentialSource(new RegistryOptions
            {
                DockerConfigPath = path,
                Credentials = new Dictionary<string, RegistryCredential> { ["ghcr.io"] = new("configured", "wins") },
            });

            Assert.Equal(new RegistryCredential("hub", "pw1"), source.Find("docker.io"));
            Assert.Equal(new RegistryCredential("configured", "wins"), source.Find("ghcr.io"));
            Assert.Equal(new RegistryCredential("local", "pw3"), source.Find("127.0.0.1:5000"));
            Assert.Null(source.Find("quay.io"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_credential_never_prints_its_password() =>
        Assert.DoesNotContain("hunter2", new RegistryCredential("me", "hunter2").ToString());

    [Theory]
    [InlineData("busybox", "https://registry-1.docker.io/v2/library/busybox/manifests/latest")]
    [InlineData("ghcr.io/acme/tool:1", "https://ghcr.io/v2/acme/tool/manifests/latest")]
    [InlineData("127.0.0.1:5000/x/y", "http://127.0.0.1:5000/v2/x/y/manifests/latest")]
    public void Names_map_to_registry_endpoints_like_docker_does(string reference, string manifestUri)
    {
        var options = new RegistryOptions { InsecureRegistries = ["127.0.0.1:5000"] };

        var where = Distribution.RepositoryLocation.Of(ImageReference.Parse(reference), options);

        Assert.Equal(manifestUri, where.ManifestUri("latest").ToString());
    }
}
