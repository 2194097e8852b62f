namespace Cleanroom.Backends.Gvisor.Tests;

/// <summary>
/// The platform choice alone, with a scripted probe in place of real sandboxes: which platforms are tried, in
/// which order, what is chosen, and that a named platform is never swapped for another.
/// </summary>
public sealed class PlatformSelectionTests
{
    private readonly List<string> _tried = [];

    private Func<string, CancellationToken, Task<string?>> Probe(params string[] failing) => (platform, _) =>
    {
        _tried.Add(platform);
        return Task.FromResult(failing.Contains(platform) ? $"{platform} refused" : null);
    };

    [Fact]
    public async Task Auto_picks_systrap_when_a_probe_sandbox_starts_under_it_and_tries_nothing_else()
    {
        var (decision, problem) = await new PlatformSelection(PlatformChoice.Auto, Probe()).DecideAsync(CancellationToken.None);
        Assert.Null(problem);
        Assert.Equal("systrap", decision!.Platform);
        Assert.False(decision.Degraded);
        Assert.Equal(["systrap"], _tried);
    }

    [Fact]
    public async Task Auto_falls_back_to_ptrace_and_says_why_systrap_was_not_used()
    {
        var (decision, _) = await new PlatformSelection(PlatformChoice.Auto, Probe("systrap")).DecideAsync(CancellationToken.None);
        Assert.Equal("ptrace", decision!.Platform);
        Assert.True(decision.Degraded);
        Assert.Contains("systrap refused", decision.Reason);
        Assert.Equal(["systrap", "ptrace"], _tried);
    }

    [Fact]
    public async Task Auto_with_no_working_platform_decides_nothing_and_gives_both_reasons()
    {
        var (decision, problem) = await new PlatformSelection(PlatformChoice.Auto, Probe("systrap", "ptrace")).DecideAsync(CancellationToken.None);
        Assert.Null(decision);
        Assert.Contains("systrap refused", problem);
        Assert.Contains("ptrace refused", problem);
    }

    [Theory]
    [InlineData(PlatformChoice.Ptrace, "ptrace")]
    [InlineData(PlatformChoice.Systrap, "systrap")]
    [InlineData(PlatformChoice.Kvm, "kvm")]
    public async Task A_named_platform_is_probed_alone_and_used(PlatformChoice choice, string platform)
    {
        var (decision, _) = await new PlatformSelection(choice, Probe()).DecideAsync(CancellationToken.None);
        Assert.Equal(platform, decision!.Platform);
        Assert.False(decision.Degraded);
        Assert.Contains("backends.gvisor.platform", decision.Reason);
        Assert.Equal([platform], _tried);
    }

    [Fact]
    public async Task A_named_platform_that_fails_is_a_problem_never_a_fallback()
    {
        var (decision, problem) = await new PlatformSelection(PlatformChoice.Systrap, Probe("systrap")).DecideAsync(CancellationToken.None);
        Assert.Null(decision);
        Assert.Contains("backends.gvisor.platform is systrap", problem);
        Assert.Contains("systrap refused", problem);
        Assert.Equal(["systrap"], _tried);
    }
}
