using Cleanroom.RuntimeConfig;

namespace Cleanroom.RuntimeConfig.Tests;

public class WarmPoolSectionTests
{
    [Fact]
    public void Size_is_read_and_one_spare_is_the_default()
    {
        var off = RuntimeConfigReader.Parse("warm_pool:\n  size: 0\n");
        var three = RuntimeConfigReader.Parse("warm_pool:\n  size: 3\n");
        var absent = RuntimeConfigReader.Parse("default_backend: gvisor\n");
        var empty = RuntimeConfigReader.Parse("warm_pool:\n");

        Assert.Equal(new WarmPoolSettings(0), off.Configuration!.WarmPool);
        Assert.Equal(new WarmPoolSettings(3), three.Configuration!.WarmPool);
        Assert.Equal(new WarmPoolSettings(1), absent.Configuration!.WarmPool);
        Assert.Equal(WarmPoolSettings.Defaults, empty.Configuration!.WarmPool);
    }

    [Theory]
    [InlineData("warm_pool:\n  size: 9\n", "warm_pool.size", "from 0 to 8")]
    [InlineData("warm_pool:\n  size: -1\n", "warm_pool.size", "from 0 to 8")]
    [InlineData("warm_pool:\n  size: some\n", "warm_pool.size", "whole number")]
    [InlineData("warm_pool:\n  idle: 3\n", "warm_pool.idle", "known settings are size")]
    [InlineData("warm_pool: 2\n", "warm_pool", "mapping")]
    public void Bad_settings_are_refused_with_their_path(string yaml, string path, string message)
    {
        var result = RuntimeConfigReader.Parse(yaml);

        Assert.Null(result.Configuration);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(path, problem.Path);
        Assert.Contains(message, problem.Message);
    }

    [Fact]
    public void The_config_template_documents_the_section_and_still_parses()
    {
        var template = RuntimeConfigTemplate.Render(null);

        Assert.Contains("warm_pool:", template);
        Assert.Empty(RuntimeConfigReader.Parse(template).Problems);
    }
}
