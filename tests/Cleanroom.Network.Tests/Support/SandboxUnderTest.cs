using System.Net;

namespace Cleanroom.Network.Tests;

/// <summary>
/// A sandbox network and the runner that runs the workload in it. Disposal removes the workload side first
/// (for a backend: terminate the sandbox), then the network, the order the server's EnforcedBackend uses, so
/// a backend never runs on in a namespace that is already gone.
/// </summary>
public sealed class SandboxUnderTest(SandboxNetwork network, IWorkloadRunner runner) : IAsyncDisposable
{
    public SandboxNetwork Network => network;

    /// <summary>The probe, run by this sandbox's runner (one runner, so one backend sandbox, per network).</summary>
    public EgressProbe Probe { get; } = new(runner);

    public string SandboxId => network.SandboxId;

    public IPAddress HostAddress => network.HostAddress;

    public IPAddress SandboxAddress => network.SandboxAddress;

    public string NamespaceName => network.NamespaceName;

    public string NamespacePath => network.NamespacePath;

    public string SandboxInterface => network.SandboxInterface;

    /// <summary>An address the host never gave the sandbox, added where the workload's network stack is (see <see cref="IWorkloadRunner.AddLinkAddressAsync"/>).</summary>
    public Task AddLinkAddressAsync(IPAddress address) => runner.AddLinkAddressAsync(address);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (runner is IAsyncDisposable disposable)
                await disposable.DisposeAsync();
        }
        finally
        {
            await network.DisposeAsync();
        }
    }
}
