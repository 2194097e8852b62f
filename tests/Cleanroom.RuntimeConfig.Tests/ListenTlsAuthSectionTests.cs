using Cleanroom.RuntimeConfig;

namespace Cleanroom.RuntimeConfig.Tests;

/// <summary><c>listen:</c>, <c>tls:</c> and <c>auth:</c> as the issue's interface writes them, and their refusals.</summary>
public sealed class ListenTlsAuthSectionTests
{
    [Fact]
    public void The_issues_example_is_read_whole()
    {
        var result = RuntimeConfigReader.Parse("""
            listen: [unix:///run/cleanroom/cleanroom.sock, https://0.0.0.0:7777]
            tls: {cert_file: /path/server.crt, key_file: /path/server.key, client_ca_file: /path/ca.crt}
            auth:
              required: true
              tokens: [{file: /path/token, principal: ci-bot}]
              oidc: {issuers: [{issuer: "https://issuer.example", audience: cleanroom}]}
              admins: [alice]
            """);

        Assert.Empty(result.Problems);
        var config = result.Configuration!;
        Assert.Equal(new[] { "unix:///run/cleanroom/cleanroom.sock", "https://0.0.0.0:7777" }, config.Listen.ToArray());
        Assert.Equal(new TlsSettings("/path/server.crt", "/path/server.key", "/path/ca.crt"), config.Tls);
        Assert.True(config.Auth.Required);
        Assert.Equal(new[] { new AuthToken("/path/token", "ci-bot") }, config.Auth.Tokens.ToArray());
        Assert.Equal(new[] { new AuthIssuer("https://issuer.example", "cleanroom") }, config.Auth.OidcIssuers.ToArray());
        Assert.Equal(new[] { "alice" }, config.Auth.Admins.ToArray());
    }

    [Fact]
    public void Absent_sections_mean_no_extra_listener_no_tls_and_no_authentication_required()
    {
        var config = RuntimeConfigReader.Parse("default_backend: gvisor\n").Configuration!;

        Assert.Empty(config.Listen);
        Assert.Equal(TlsSettings.Defaults, config.Tls);
        Assert.False(config.Auth.Required);
        Assert.Empty(config.Auth.Tokens);
    }

    [Theory]
    [InlineData("listen: [tcp://0.0.0.0:1]\n", "listen", "unix:///path")]
    [InlineData("tls: {cert_file: /a.crt}\n", "tls", "go together")]
    [InlineData("tls: {cert_file: relative.crt, key_file: /k}\n", "tls.cert_file", "absolute path")]
    [InlineData("tls: {client_ca_file: /ca.crt}\n", "tls", "needs the server's own")]
    [InlineData("auth: {required: yes-please}\n", "auth.required", "true or false")]
    [InlineData("auth: {tokens: [{file: /t}]}\n", "auth.tokens", "{file: /path/to/token, principal: NAME}")]
    [InlineData("auth: {tokens: [{file: /t, principal: p, token: hunter2}]}\n", "auth.tokens.token", "known settings are file, principal")]
    [InlineData("auth: {oidc: {issuers: [{issuer: \"http://issuer.example\", audience: a}]}}\n", "auth.oidc.issuers.issuer", "https://")]
    [InlineData("auth: {oidc: {providers: []}}\n", "auth.oidc.providers", "known settings are issuers")]
    [InlineData("auth: {admin: [alice]}\n", "auth.admin", "known settings are required, tokens, oidc, admins")]
    public void Bad_settings_are_refused_with_their_path(string yaml, string path, string message)
    {
        var result = RuntimeConfigReader.Parse(yaml);

        Assert.Null(result.Configuration);
        Assert.Contains(result.Problems, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void An_issuer_over_http_is_accepted_only_on_loopback()
    {
        var result = RuntimeConfigReader.Parse("auth: {oidc: {issuers: [{issuer: \"http://127.0.0.1:8080\", audience: a}]}}\n");

        Assert.Empty(result.Problems);
    }

    [Fact]
    public void The_config_template_documents_the_sections_and_still_parses()
    {
        var template = RuntimeConfigTemplate.Render(null);

        Assert.Contains("listen:", template);
        Assert.Contains("tls:", template);
        Assert.Contains("auth:", template);
        Assert.Empty(RuntimeConfigReader.Parse(template).Problems);
    }
}
