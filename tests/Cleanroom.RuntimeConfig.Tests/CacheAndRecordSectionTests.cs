using Cleanroom.RuntimeConfig;

namespace Cleanroom.RuntimeConfig.Tests;

public class CacheAndRecordSectionTests
{
    [Fact]
    public void Block_cache_and_records_are_read_with_their_defaults()
    {
        var set = RuntimeConfigReader.Parse("block_cache:\n  max_bytes: 1048576\nrecords:\n  retention_days: 0\n");
        var absent = RuntimeConfigReader.Parse("default_backend: gvisor\n");

        Assert.Equal(new BlockCacheSettings(1048576), set.Configuration!.BlockCache);
        Assert.Equal(new RecordSettings(0), set.Configuration.Records);
        Assert.Equal(new BlockCacheSettings(10L << 30), absent.Configuration!.BlockCache);
        Assert.Equal(new RecordSettings(7), absent.Configuration.Records);
    }

    [Theory]
    [InlineData("block_cache:\n  max_bytes: 0\n", "block_cache.max_bytes", "at least 1")]
    [InlineData("block_cache:\n  size: 3\n", "block_cache.size", "known settings are max_bytes")]
    [InlineData("records:\n  retention_days: -1\n", "records.retention_days", "from 0 to 3650")]
    [InlineData("records:\n  retention_days: week\n", "records.retention_days", "whole number")]
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

        Assert.Contains("block_cache:", template);
        Assert.Contains("records:", template);
        Assert.Empty(RuntimeConfigReader.Parse(template).Problems);
    }
}
