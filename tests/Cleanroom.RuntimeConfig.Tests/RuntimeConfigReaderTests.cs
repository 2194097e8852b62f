using Cleanroom.RuntimeConfig;

namespace Cleanroom.RuntimeConfig.Tests;

public sealed class RuntimeConfigReaderTests
{
    [Fact]
    public void The_template_config_init_writes_is_valid_as_written()
    {
        var result = RuntimeConfigReader.Parse(RuntimeConfigTemplate.Render(defaultBackend: null));

        Assert.True(result.Valid, string.Join("; ", result.Problems));
        Assert.Null(result.Configuration!.DefaultBackend);
    }

    [Fact]
    public void A_template_naming_a_backend_makes_it_the_default()
    {
        var result = RuntimeConfigReader.Parse(RuntimeConfigTemplate.Render("gvisor"));

        Assert.Equal("gvisor", result.Configuration!.DefaultBackend);
    }

    [Fact]
    public void Backend_settings_are_read_into_their_section()
    {
        var result = RuntimeConfigReader.Parse("""
            default_backend: qemu
            backends:
              qemu:
                accel: tcg
                min_vcpus: 2
              gvisor:
                platform: ptrace
                default_disk_mib: 2048
            """);

        Assert.True(result.Valid, string.Join("; ", result.Problems));
        var config = result.Configuration!;
        Assert.Equal("qemu", config.DefaultBackend);
        Assert.Equal("tcg", config.BackendSettings("qemu")["accel"]);
        Assert.Equal("2", config.BackendSettings("qemu")["min_vcpus"]);
        Assert.Equal("ptrace", config.BackendSettings("gvisor")["platform"]);
        Assert.Equal("2048", config.BackendSettings("gvisor")["default_disk_mib"]);
        Assert.Empty(config.BackendSettings("firecracker"));
    }

    [Theory]
    [InlineData("defualt_backend: qemu", "defualt_backend", 1, 1)]
    [InlineData("default_backend: vmware", "default_backend", 1, 18)]
    [InlineData("backends:\n  vmware: {}", "backends.vmware", 2, 3)]
    [InlineData("backends:\n  qemu:\n    acel: tcg", "backends.qemu.acel", 3, 5)]
    [InlineData("backends:\n  qemu:\n    accel: hvf", "backends.qemu.accel", 3, 12)]
    [InlineData("backends:\n  qemu:\n    min_vcpus: 0", "backends.qemu.min_vcpus", 3, 16)]
    [InlineData("backends:\n  qemu:\n    min_vcpus: [1]", "backends.qemu.min_vcpus", 3, 16)]
    [InlineData("backends: [qemu]", "backends", 1, 11)]
    [InlineData("- qemu", "", 1, 1)]
    public void Unknown_fields_and_bad_values_fail_with_their_path_and_position(string yaml, string path, int line, int column)
    {
        var result = RuntimeConfigReader.Parse(yaml);

        Assert.False(result.Valid);
        Assert.Null(result.Configuration);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(path, problem.Path);
        Assert.Equal((line, column), (problem.Line, problem.Column));
    }

    [Fact]
    public void Every_problem_is_reported_not_just_the_first()
    {
        var result = RuntimeConfigReader.Parse("colour: red\nbackends:\n  qemu:\n    accel: hvf\n    speed: 11");

        Assert.Equal(["colour", "backends.qemu.accel", "backends.qemu.speed"], result.Problems.Select(p => p.Path));
    }

    [Fact]
    public void A_setting_given_twice_is_rejected_where_it_repeats()
    {
        var result = RuntimeConfigReader.Parse("backends:\n  gvisor:\n    platform: ptrace\n    platform: kvm");

        var problem = Assert.Single(result.Problems);
        Assert.Equal(4, problem.Line);
        Assert.Contains("duplicate", problem.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Broken_yaml_is_a_problem_with_a_position_not_an_exception()
    {
        var result = RuntimeConfigReader.Parse("backends:\n  qemu: [unclosed");

        var problem = Assert.Single(result.Problems);
        Assert.True(problem.Line > 0);
        Assert.Contains("not valid YAML", problem.Message);
    }

    [Fact]
    public void An_empty_or_missing_file_means_every_default()
    {
        Assert.True(RuntimeConfigReader.Parse("").Valid);
        var missing = RuntimeConfigReader.ReadFile(Path.Combine(Path.GetTempPath(), $"cleanroom-missing-{Guid.NewGuid():N}.yaml"));
        Assert.True(missing.Valid);
        Assert.False(missing.Exists);
    }
}

public sealed class DefaultImageTests
{
    [Fact]
    public void The_default_image_is_the_built_in_one_unless_the_config_names_another()
    {
        Assert.Equal(RuntimeConfiguration.BuiltInDefaultImage, RuntimeConfigReader.Parse("").Configuration!.DefaultImage);
        Assert.Equal("registry.test/base:1", RuntimeConfigReader.Parse("default_image: registry.test/base:1").Configuration!.DefaultImage);
        Assert.Equal("default_image", Assert.Single(RuntimeConfigReader.Parse("default_image: [a]").Problems).Path);
    }
}

public sealed class ImagesSectionTests
{
    [Fact]
    public void Registry_settings_are_read()
    {
        var result = RuntimeConfigReader.Parse("""
            images:
              insecure_registries: ["127.0.0.1:5000"]
              credentials:
                registry.test: {username: me, password: secret}
              max_retries: 2
            """);

        Assert.True(result.Valid, string.Join("; ", result.Problems));
        var images = result.Configuration!.Images;
        Assert.Equal(["127.0.0.1:5000"], images.InsecureRegistries.ToArray());
        Assert.Equal(new RegistryLogin("me", "secret"), images.Credentials["registry.test"]);
        Assert.Equal(2, images.MaxRetries);
        Assert.DoesNotContain("secret", images.Credentials["registry.test"].ToString());
    }

    [Theory]
    [InlineData("images:\n  insecure: [a]", "images.insecure")]
    [InlineData("images:\n  insecure_registries: [\"http://a:5000\"]", "images.insecure_registries")]
    [InlineData("images:\n  credentials:\n    r.test: {username: me}", "images.credentials.r.test")]
    [InlineData("images:\n  max_retries: 0", "images.max_retries")]
    public void Bad_registry_settings_fail_with_their_path(string yaml, string path)
    {
        var result = RuntimeConfigReader.Parse(yaml);

        Assert.Equal(path, Assert.Single(result.Problems).Path);
    }
}

public sealed class NetworkSectionTests
{
    [Fact]
    public void Network_settings_are_read_and_host_names_normalised()
    {
        var result = RuntimeConfigReader.Parse("network:\n  pool: 10.50.0.0/16\n  dns:\n    upstream: 198.18.0.53:5353\n    hosts:\n      Upstream.Test.: 198.18.0.11\n");

        Assert.True(result.Valid, string.Join("; ", result.Problems));
        var network = result.Configuration!.Network;
        Assert.Equal("10.50.0.0/16", network.Pool);
        Assert.Equal("198.18.0.53:5353", network.DnsUpstream);
        Assert.Equal("198.18.0.11", network.DnsHosts["upstream.test"]);
    }

    [Theory]
    [InlineData("network:\n  pool: 10.50.0.0", "network.pool")]
    [InlineData("network:\n  dns:\n    upstream: resolver.test", "network.dns.upstream")]
    [InlineData("network:\n  dns:\n    hosts:\n      a.test: 2001:db8::1", "network.dns.hosts.a.test")]
    [InlineData("network:\n  dns:\n    forward: yes", "network.dns.forward")]
    [InlineData("network:\n  bridge: br0", "network.bridge")]
    public void Bad_network_settings_fail_with_their_path(string yaml, string path)
    {
        Assert.Equal(path, Assert.Single(RuntimeConfigReader.Parse(yaml).Problems).Path);
    }
}

public sealed class NetworkOwnershipTests
{
    [Fact]
    public void A_server_can_be_given_its_own_table_prefix_and_log_group()
    {
        var network = RuntimeConfigReader.Parse("network:\n  table: cleanroom_e2e\n  name_prefix: cre\n  nflog_group: 3001\n").Configuration!.Network;

        Assert.Equal(("cleanroom_e2e", "cre", 3001), (network.Table, network.NamePrefix, network.NflogGroup));
        Assert.Equal("network.name_prefix", Assert.Single(RuntimeConfigReader.Parse("network:\n  name_prefix: toolongprefix").Problems).Path);
    }
}
