using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Gvisor.Tests.Support;

namespace Cleanroom.Backends.Gvisor.Tests;

/// <summary>
/// The conformance suite against real runsc on one gVisor platform, each test in a private runsc root. Every
/// run also proves its sandboxes really run on the platform it is for (runsc's own command lines say so).
/// </summary>
public abstract class GvisorPlatformConformanceTests(GvisorAssets assets, PlatformChoice platform, string expectedPlatform) : BackendConformanceTests
{
    private readonly GvisorTestHost _host = new(assets);
    private GvisorBackend? _backend;

    protected override ISandboxBackend Backend => _backend ??= _host.Backend(_host.Options(platform: platform));

    protected override SandboxSpec NewSpec() => _host.Spec();

    protected override Task AssertNothingRemainsAsync(string sandboxId) => _host.AssertNothingRemainsAsync(sandboxId);

    [GvisorFact]
    public async Task Sandboxes_run_on_the_platform_of_this_run()
    {
        var sandbox = await NewSandboxAsync();
        var platforms = GvisorTestHost.PlatformsOfContainer(sandbox.SandboxId);
        Assert.NotEmpty(platforms);
        Assert.All(platforms, p => Assert.Equal(expectedPlatform, p));
    }

    public override async Task DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            await _host.DisposeAsync();
        }
    }
}

/// <summary>The default configuration (<c>platform: auto</c>), which picks systrap on this project's hosts.</summary>
[Collection(GvisorCollection.Name)]
[BackendRequirements(typeof(GvisorRequirements))]
public sealed class GvisorConformanceTests(GvisorAssets assets)
    : GvisorPlatformConformanceTests(assets, PlatformChoice.Auto, PlatformNames.Systrap);

/// <summary><c>platform: ptrace</c>, the fallback for hosts where systrap does not work.</summary>
[Collection(GvisorCollection.Name)]
[BackendRequirements(typeof(GvisorRequirements))]
public sealed class GvisorPtraceConformanceTests(GvisorAssets assets)
    : GvisorPlatformConformanceTests(assets, PlatformChoice.Ptrace, PlatformNames.Ptrace);
