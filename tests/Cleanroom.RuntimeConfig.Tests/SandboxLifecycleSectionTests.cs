using Cleanroom.RuntimeConfig;

namespace Cleanroom.RuntimeConfig.Tests;

public class SandboxLifecycleSectionTests
{
    [Fact]
    public void Idle_suspend_is_off_and_a_wake_may_take_a_minute_unless_the_config_says_otherwise()
    {
        var absent = RuntimeConfigReader.Parse("default_backend: gvisor\n");
        var empty = RuntimeConfigReader.Parse("sandbox_lifecycle:\n");
        var set = RuntimeConfigReader.Parse("sandbox_lifecycle:\n  idle_suspend_after_seconds: 2\n  wake_timeout_seconds: 15\n");
        var off = RuntimeConfigReader.Parse("sandbox_lifecycle:\n  idle_suspend_after_seconds: 0\n");

        Assert.Equal(new SandboxLifecycleSettings(0, 60), absent.Configuration!.SandboxLifecycle);
        Assert.Equal(SandboxLifecycleSettings.Defaults, empty.Configuration!.SandboxLifecycle);
        Assert.Equal(new SandboxLifecycleSettings(2, 15), set.Configuration!.SandboxLifecycle);
        Assert.Equal(0, off.Configuration!.SandboxLifecycle.IdleSuspendAfterSeconds);
    }

    [Theory]
    [InlineData("sandbox_lifecycle:\n  idle_suspend_after_seconds: -1\n", "sandbox_lifecycle.idle_suspend_after_seconds", "from 0 to 86400")]
    [InlineData("sandbox_lifecycle:\n  idle_suspend_after_seconds: 86401\n", "sandbox_lifecycle.idle_suspend_after_seconds", "from 0 to 86400")]
    [InlineData("sandbox_lifecycle:\n  idle_suspend_after_seconds: soon\n", "sandbox_lifecycle.idle_suspend_after_seconds", "whole number")]
    [InlineData("sandbox_lifecycle:\n  wake_timeout_seconds: 0\n", "sandbox_lifecycle.wake_timeout_seconds", "from 1 to 3600")]
    [InlineData("sandbox_lifecycle:\n  wake_timeout_seconds: 1.5\n", "sandbox_lifecycle.wake_timeout_seconds", "whole number")]
    [InlineData("sandbox_lifecycle:\n  idle_after: 3\n", "sandbox_lifecycle.idle_after", "known settings are idle_suspend_after_seconds, wake_timeout_seconds")]
    [InlineData("sandbox_lifecycle: 2\n", "sandbox_lifecycle", "mapping")]
    public void Bad_settings_are_refused_with_their_path(string yaml, string path, string message)
    {
        var result = RuntimeConfigReader.Parse(yaml);

        Assert.Null(result.Configuration);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(path, problem.Path);
        Assert.Contains(message, problem.Message);
    }

    [Fact]
    public void The_config_template_documents_the_section_and_the_gvisor_network_stack_and_still_parses()
    {
        var template = RuntimeConfigTemplate.Render(null);

        Assert.Contains("sandbox_lifecycle:", template);
        Assert.Contains("network_stack: sandbox", template);
        Assert.Empty(RuntimeConfigReader.Parse(template).Problems);
    }

    [Theory]
    [InlineData("host", true)]
    [InlineData("sandbox", true)]
    [InlineData("netstack", false)]
    public void The_gvisor_network_stack_is_host_or_sandbox(string value, bool valid)
    {
        var result = RuntimeConfigReader.Parse($"backends:\n  gvisor:\n    network_stack: {value}\n");

        Assert.Equal(valid, result.Problems.Count == 0);
        if (!valid)
            Assert.Contains("host, sandbox", Assert.Single(result.Problems).Message);
    }
}
