using Cleanroom.RuntimeConfig;

namespace Cleanroom.RuntimeConfig.Tests;

/// <summary><c>audit:</c>: its defaults, every key, and refusals of values that would break rotation.</summary>
public sealed class AuditSectionTests
{
    [Fact]
    public void Defaults_rotate_at_10_MiB_keep_5_files_for_90_days_in_the_state_directory()
    {
        var audit = RuntimeConfigReader.Parse("").Configuration!.Audit;

        Assert.Equal(new AuditSettings(null, 10L * 1024 * 1024, 5, 90), audit);
    }

    [Fact]
    public void Every_key_is_read()
    {
        var result = RuntimeConfigReader.Parse("audit: {file: /var/log/cleanroom/api.jsonl, max_bytes: 1048576, max_files: 3, retention_days: 0}\n");

        Assert.Empty(result.Problems);
        Assert.Equal(new AuditSettings("/var/log/cleanroom/api.jsonl", 1048576, 3, 0), result.Configuration!.Audit);
    }

    [Theory]
    [InlineData("audit: {file: relative/api.jsonl}", "audit.file")]
    [InlineData("audit: {max_bytes: 10}", "audit.max_bytes")]
    [InlineData("audit: {max_files: 0}", "audit.max_files")]
    [InlineData("audit: {retention_days: -1}", "audit.retention_days")]
    [InlineData("audit: {rotate: daily}", "audit.rotate")]
    public void Bad_values_are_refused_where_they_are(string yaml, string path)
    {
        var result = RuntimeConfigReader.Parse(yaml);

        Assert.Null(result.Configuration);
        Assert.Contains(result.Problems, p => p.Path == path);
    }
}
