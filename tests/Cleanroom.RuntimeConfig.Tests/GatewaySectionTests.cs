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
    [InlineData("gateway:\n  port: 1\n", "gateway.port", "known settings are listen_port, upstream_ca_file, credentials, mirrors")]
    [InlineData("gateway:\n  credentials:\n    users: {}\n", "gateway.credentials.users", "known settings are hosts, github_app")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      Git.Example.com: {token_env: T}\n", "gateway.credentials.hosts.Git.Example.com", "lowercase DNS name")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {token_env: T, token_file: /t}\n", "gateway.credentials.hosts.git.example.com", "exactly one of token_env, token_file and helper")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {username: me}\n", "gateway.credentials.hosts.git.example.com", "exactly one of token_env, token_file and helper")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {}\n", "gateway.credentials.hosts.git.example.com", "needs token_env, token_file or helper")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {token: abc}\n", "gateway.credentials.hosts.git.example.com.token", "known settings are token_env, token_file, username, helper")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {token_env: 'A-B'}\n", "gateway.credentials.hosts.git.example.com.token_env", "environment variable name")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {token_file: relative}\n", "gateway.credentials.hosts.git.example.com.token_file", "absolute path")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {token_env: T, username: 'a:b'}\n", "gateway.credentials.hosts.git.example.com.username", "without ':'")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {helper: store, token_env: T}\n", "gateway.credentials.hosts.git.example.com", "exactly one of token_env, token_file and helper")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {helper: store, username: me}\n", "gateway.credentials.hosts.git.example.com", "username goes with a token")]
    [InlineData("gateway:\n  credentials:\n    hosts:\n      git.example.com: {helper: ' '}\n", "gateway.credentials.hosts.git.example.com.helper", "git credential helper")]
    [InlineData("gateway:\n  mirrors: {max_bytes: 0}\n", "gateway.mirrors.max_bytes", "at least 1")]
    [InlineData("gateway:\n  mirrors: {expire_after_days: soon}\n", "gateway.mirrors.expire_after_days", "whole number")]
    [InlineData("gateway:\n  mirrors: {size: 1}\n", "gateway.mirrors.size", "known settings are max_bytes, expire_after_days")]
    [InlineData("gateway:\n  credentials:\n    github_app: {app_id: x1, installation_id: '2', private_key_file: /k.pem, repo_prefixes: [org/]}\n", "gateway.credentials.github_app.app_id", "numeric id")]
    [InlineData("gateway:\n  credentials:\n    github_app: {app_id: '1', installation_id: '2', private_key_file: k.pem, repo_prefixes: [org/]}\n", "gateway.credentials.github_app.private_key_file", "absolute path")]
    [InlineData("gateway:\n  credentials:\n    github_app: {app_id: '1', installation_id: '2', private_key_file: /k.pem, repo_prefixes: []}\n", "gateway.credentials.github_app.repo_prefixes", "non-empty list")]
    [InlineData("gateway:\n  credentials:\n    github_app: {app_id: '1', installation_id: '2', private_key_file: /k.pem, repo_prefixes: [/org]}\n", "gateway.credentials.github_app.repo_prefixes[0]", "repository prefix")]
    [InlineData("gateway:\n  credentials:\n    github_app: {app_id: '1', installation_id: '2', private_key_file: /k.pem, repo_prefixes: [org/../x]}\n", "gateway.credentials.github_app.repo_prefixes[0]", "repository prefix")]
    [InlineData("gateway:\n  credentials:\n    github_app: {app_id: '1', installation_id: '2', private_key_file: /k.pem, repo_prefixes: [org/], api_url: 'ftp://x'}\n", "gateway.credentials.github_app.api_url", "http(s) URL")]
    [InlineData("gateway:\n  credentials:\n    github_app: {app_id: '1', installation_id: '2', private_key_file: /k.pem, repo_prefixes: [org/], host: GitHub.com}\n", "gateway.credentials.github_app.host", "lowercase DNS name")]
    [InlineData("gateway:\n  credentials:\n    github_app: {app_id: '1', private_key_file: /k.pem}\n", "gateway.credentials.github_app", "needs installation_id, repo_prefixes")]
    [InlineData("gateway:\n  credentials:\n    github_app: {app_id: '1', installation_id: '2', private_key_file: /k.pem, repo_prefixes: [org/], key: x}\n", "gateway.credentials.github_app.key", "known settings are app_id")]
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

    [Fact]
    public void A_github_app_helpers_and_mirror_bounds_are_read_with_their_defaults()
    {
        var result = RuntimeConfigReader.Parse("""
            gateway:
              mirrors: {max_bytes: 1048576, expire_after_days: 7}
              credentials:
                hosts:
                  git.example.com: {helper: "store --file /etc/git-credentials"}
                github_app: {app_id: "1", installation_id: "2", private_key_file: /path/key.pem, repo_prefixes: [org/, other/repo]}
            """);

        Assert.True(result.Valid, string.Join("; ", result.Problems));
        var gateway = result.Configuration!.Gateway;
        Assert.Equal(new MirrorSettings(1048576, 7), gateway.Mirrors);
        Assert.Equal("store --file /etc/git-credentials", gateway.CredentialHosts["git.example.com"].Helper);
        Assert.Equal("credential helper store", gateway.CredentialHosts["git.example.com"].Describe());
        var app = gateway.GitHubApp!;
        Assert.Equal(("1", "2", "/path/key.pem", "github.com"), (app.AppId, app.InstallationId, app.PrivateKeyFile, app.Host));
        Assert.Equal(new Uri("https://api.github.com"), app.ApiUrl);
        Assert.Equal(new[] { "org/", "other/repo" }, app.RepoPrefixes.ToArray());
        Assert.Equal(MirrorSettings.Defaults, RuntimeConfigReader.Parse("gateway: {}\n").Configuration!.Gateway.Mirrors);
        Assert.Null(RuntimeConfigReader.Parse("gateway: {}\n").Configuration!.Gateway.GitHubApp);
    }

    [Theory]
    [InlineData("github.com", "/org/repo.git", true)]
    [InlineData("github.com", "/ORG/Repo", true)]
    [InlineData("github.com", "/other/repo.git", true)]
    [InlineData("github.com", "/other/repo", true)]
    [InlineData("github.com", "/other/repository", false)]
    [InlineData("github.com", "/organisation/repo", false)]
    [InlineData("github.com", "/other/repo2.git", false)]
    [InlineData("gitlab.com", "/org/repo.git", false)]
    public void The_app_covers_its_host_and_prefixes_on_segment_boundaries(string host, string path, bool covered)
    {
        var app = new GitHubAppSettings("1", "2", "/k.pem", ["org/", "other/repo"], GitHubAppSettings.DefaultApiUrl, "github.com");

        Assert.Equal(covered, app.Covers(host, path));
    }
}
