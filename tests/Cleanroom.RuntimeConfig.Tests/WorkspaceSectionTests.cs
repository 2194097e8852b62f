namespace Cleanroom.RuntimeConfig.Tests;

public class WorkspaceSectionTests
{
    [Fact]
    public void Limits_are_read_and_default_when_absent()
    {
        var set = RuntimeConfigReader.Parse("workspace:\n  max_transfer_bytes: 1048576\n  max_tree_entries: 500\n");
        var absent = RuntimeConfigReader.Parse("default_backend: gvisor\n");

        Assert.Empty(set.Problems);
        Assert.Equal(new WorkspaceSettings(1048576, 500), set.Configuration!.Workspace);
        Assert.Equal(WorkspaceSettings.Defaults, absent.Configuration!.Workspace);
    }

    [Theory]
    [InlineData("workspace:\n  max_transfer_bytes: 0\n", "workspace.max_transfer_bytes")]
    [InlineData("workspace:\n  max_tree_entries: lots\n", "workspace.max_tree_entries")]
    [InlineData("workspace:\n  max_files: 3\n", "workspace.max_files")]
    [InlineData("workspace: [1]\n", "workspace")]
    public void Bad_limits_are_refused_with_their_path(string yaml, string path)
    {
        var result = RuntimeConfigReader.Parse(yaml);

        Assert.Null(result.Configuration);
        Assert.Contains(result.Problems, p => p.Path == path);
    }
}
