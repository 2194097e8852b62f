using Cleanroom.RuntimeConfig;

namespace Cleanroom.RuntimeConfig.Tests;

public class GatewaySectionTests
{
    [Fact]
    public void Without_a_section_the_gateway_listens_on_8170_with_no_credentials()
    {
        var gateway = RuntimeConfigReader.Parse("default_backend: gvisor\n").Configuration!.Gateway;

        Assert.Equal(8170, gateway.ListenPort);
        Assert.Null(gateway.UpstreamCaFile);
        Assert.Empty(gateway.CredentialHosts);
    }

    [Fact]
    public void Port_ca_file_and_credential_sources_are_read_without_any_token_value()
    {
        var result = RuntimeConfigReader.Parse("""
            gateway:
              listen_port: 9170
              upstream_ca_file: /etc/ssl/test-ca.pem
              credentials:
                hosts:
                  git.example.com: {token_env: GIT_EXAMPLE_TOKEN}
                  other.example.org: {token_file: /run/secrets/other, username: bot}
            """);

        Assert.True(result.Valid, string.Join("; ", result.Problems));
        var gateway = result.Configuration!.Gateway;
        Assert.Equal(9170, gateway.ListenPort);
        Assert.Equal("/etc/ssl/test-ca.pem", gateway.UpstreamCaFile);
        Assert.Equal(new GatewayCredentialSource("git.example.com", "GIT_EXAMPLE_TOKEN", null, null), gateway.CredentialHosts["git.example.com"]);
        Assert.Equal(new GatewayCredentialSource("other.example.org", null, "/run/secrets/other", "bot"), gateway.CredentialHosts["other.example.org"]);
    }

    [Theory]
    [InlineData("gateway:\n  listen_port: 0\n", "gateway.listen_port", "from 1 to 65535")]
    [InlineData("gateway:\n  listen_port: 53\n", "gateway.listen_port", "resolver's port")]
    [InlineData("gateway:\n  listen_port: http\n", "gateway.listen_port", "whole number")]
    [InlineData("gateway:\n  upstream_ca_file: ca.pem\n", "gateway.upstream_ca_file", "absolute path")]
    [InlineData("gateway:\n  port: 1\n", "gateway.port", "known settings are listen_port, upstream_ca_file, credentials")]
    [InlineData("gateway:\n  credentials:\n    users: {}\n", "gateway.credentials.users", "known settings are hosts")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      Git.Example.com: {token_env: T}\n", "gateway.credentials.hosts.Git.Example.com", "lowercase DNS name")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {token_env: T, token_file: /t}\n", "gateway.credentials.hosts.git.example.com", "exactly one of token_env and token_file")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {username: me}\n", "gateway.credentials.hosts.git.example.com", "exactly one of token_env and token_file")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {}\n", "gateway.credentials.hosts.git.example.com", "needs token_env or token_file")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {token: abc}\n", "gateway.credentials.hosts.git.example.com.token", "known settings are token_env, token_file, username")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {token_env: 'A-B'}\n", "gateway.credentials.hosts.git.example.com.token_env", "environment variable name")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {token_file: relative}\n", "gateway.credentials.hosts.git.example.com.token_file", "absolute path")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {token_env: T, username: 'a:b'}\n", "gateway.credentials.hosts.git.example.com.username", "without ':'")]
    [InlineData("gateway: 8170\n", "gateway", "mapping")]
    public void Bad_settings_are_refused_with_their_path(string yaml, string path, string message)
    {
        var result = RuntimeConfigReader.Parse(yaml);

        Assert.Null(result.Configuration);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(path, problem.Path);
        Assert.Contains(message, problem.Message);
        Assert.True(problem.Line > 0);
    }

    [Fact]
    public void The_config_template_documents_the_section_and_still_parses()
    {
        var template = RuntimeConfigTemplate.Render(null);

        Assert.Contains("gateway:", template);
        Assert.Contains("token_env", template);
        Assert.True(RuntimeConfigReader.Parse(template).Valid);
    }
}
