using Cleanroom.RuntimeConfig;

namespace Cleanroom.RuntimeConfig.Tests;

public class RegistrySectionsTests
{
    [Fact]
    public void Registries_and_the_registry_cache_are_read_with_their_defaults()
    {
        var set = RuntimeConfigReader.Parse(
            "registries:\n  npm: [http://npm.test:8080/]\n  pypi: [http://pypi.test:8080/simple/]\n  go: [http://proxy.test:8080/]\nregistry_cache:\n  max_bytes: 1073741824\n  metadata_ttl_seconds: 0\n");
        var absent = RuntimeConfigReader.Parse("default_backend: gvisor\n");

        Assert.Equal(["http://npm.test:8080/"], set.Configuration!.Registries.Npm.Select(u => u.ToString()));
        Assert.Equal(["http://pypi.test:8080/simple/"], set.Configuration.Registries.PyPi.Select(u => u.ToString()));
        Assert.Equal(["http://proxy.test:8080/"], set.Configuration.Registries.Go.Select(u => u.ToString()));
        Assert.Equal(new RegistryCacheSettings(1L << 30, 0), set.Configuration.RegistryCache);
        Assert.Equal(["https://registry.npmjs.org/"], absent.Configuration!.Registries.Npm.Select(u => u.ToString()));
        Assert.Equal(["https://pypi.org/simple/"], absent.Configuration.Registries.PyPi.Select(u => u.ToString()));
        Assert.Equal(["https://proxy.golang.org/"], absent.Configuration.Registries.Go.Select(u => u.ToString()));
        Assert.Equal(new RegistryCacheSettings(null, 300), absent.Configuration.RegistryCache);
    }

    [Theory]
    [InlineData("registry_cache:\n  max_bytes: 1000\n", "registry_cache.max_bytes", "at least 1048576")]
    [InlineData("registry_cache:\n  metadata_ttl_seconds: -5\n", "registry_cache.metadata_ttl_seconds", "from 0 to 86400")]
    [InlineData("registry_cache:\n  ttl: 5\n", "registry_cache.ttl", "known settings are max_bytes, metadata_ttl_seconds")]
    [InlineData("registries:\n  npm: http://npm.test/\n", "registries.npm", "must be a list")]
    [InlineData("registries:\n  npm: [ftp://npm.test/]\n", "registries.npm", "http(s)://HOST")]
    [InlineData("registries:\n  pypi: [http://pypi.test/simple]\n", "registries.pypi", "ending in '/'")]
    [InlineData("registries:\n  pypi: [http://user:pw@pypi.test/simple/]\n", "registries.pypi", "no user")]
    [InlineData("registries:\n  npm: [http://10.0.0.1/]\n", "registries.npm", "a DNS name")]
    [InlineData("registries:\n  go: [http://proxy.test/go]\n", "registries.go", "ending in '/'")]
    [InlineData("registries:\n  cargo: [http://crates.test/]\n", "registries.cargo", "known settings are npm, pypi, go")]
    public void Bad_settings_are_refused_with_their_path(string yaml, string path, string message)
    {
        var result = RuntimeConfigReader.Parse(yaml);

        Assert.Null(result.Configuration);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(path, problem.Path);
        Assert.Contains(message, problem.Message);
    }

    [Fact]
    public void The_config_template_documents_both_sections_and_still_parses()
    {
        var template = RuntimeConfigTemplate.Render(null);

        Assert.Contains("registries:", template);
        Assert.Contains("registry_cache:", template);
        Assert.Empty(RuntimeConfigReader.Parse(template).Problems);
    }
}
