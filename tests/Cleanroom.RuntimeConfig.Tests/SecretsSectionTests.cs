using Cleanroom.RuntimeConfig;

namespace Cleanroom.RuntimeConfig.Tests;

public class SecretsSectionTests
{
    [Fact]
    public void Without_a_section_there_are_no_secrets()
    {
        Assert.Empty(RuntimeConfigReader.Parse("default_backend: gvisor\n").Configuration!.Secrets);
        Assert.Empty(RuntimeConfigReader.Parse("secrets:\n").Configuration!.Secrets);
    }

    [Fact]
    public void Each_id_names_its_source_and_never_a_value()
    {
        var result = RuntimeConfigReader.Parse("""
            secrets:
              api_token: {env: API_TOKEN}
              deploy_key2: {file: /run/secrets/deploy}
            """);

        Assert.True(result.Valid, string.Join("; ", result.Problems));
        var secrets = result.Configuration!.Secrets;
        Assert.Equal(["api_token", "deploy_key2"], secrets.Keys);
        Assert.Equal(new SecretSource("api_token", "API_TOKEN", null), secrets["api_token"]);
        Assert.Equal(new SecretSource("deploy_key2", null, "/run/secrets/deploy"), secrets["deploy_key2"]);
        Assert.Equal("environment variable API_TOKEN", secrets["api_token"].Describe());
    }

    [Theory]
    [InlineData("secrets: [a]\n", "secrets", "mapping")]
    [InlineData("secrets:\n  Api_Token: {env: A}\n", "secrets.Api_Token", "not a secret id")]
    [InlineData("secrets:\n  api-token: {env: A}\n", "secrets.api-token", "not a secret id")]
    [InlineData("secrets:\n  9token: {env: A}\n", "secrets.9token", "not a secret id")]
    [InlineData("secrets:\n  api_token: {env: A, file: /a}\n", "secrets.api_token", "exactly one of env and file")]
    [InlineData("secrets:\n  api_token: {}\n", "secrets.api_token", "needs env or file")]
    [InlineData("secrets:\n  api_token: abc\n", "secrets.api_token", "mapping")]
    [InlineData("secrets:\n  api_token: {value: abc}\n", "secrets.api_token.value", "known settings are env, file")]
    [InlineData("secrets:\n  api_token: {env: 'A-B'}\n", "secrets.api_token.env", "environment variable name")]
    [InlineData("secrets:\n  api_token: {file: relative/path}\n", "secrets.api_token.file", "absolute path")]
    public void Bad_entries_are_refused_with_their_path(string yaml, string path, string message)
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

        Assert.Contains("secrets:", template);
        Assert.Contains("api_token: {env: API_TOKEN}", template);
        Assert.True(RuntimeConfigReader.Parse(template).Valid);
    }
}
