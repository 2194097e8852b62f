using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Gvisor.Tests.Support;

namespace Cleanroom.Backends.Gvisor.Tests;

/// <summary>The conformance suite against real runsc, each test in a private runsc root.</summary>
[Collection(GvisorCollection.Name)]
[BackendRequirements(typeof(GvisorRequirements))]
public sealed class GvisorConformanceTests(GvisorAssets assets) : BackendConformanceTests
{
    private readonly GvisorTestHost _host = new(assets);
    private GvisorBackend? _backend;

    protected override ISandboxBackend Backend => _backend ??= _host.Backend();

    protected override SandboxSpec NewSpec() => _host.Spec();

    protected override Task AssertNothingRemainsAsync(string sandboxId) => _host.AssertNothingRemainsAsync(sandboxId);

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
