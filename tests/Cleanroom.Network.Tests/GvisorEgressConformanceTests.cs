using Cleanroom.Backends.Conformance;
using System.Net;

namespace Cleanroom.Network.Tests;

/// <summary>
/// The conformance cases with the workload in a real gVisor sandbox: the gvisor backend provisions it in the
/// sandbox network's namespace (<see cref="Cleanroom.Backends.NetworkAttachment"/>, as the server's
/// EnforcedBackend does), and the probe runs inside it through the agent. One sandbox per network, made on the
/// network's first probe. After each test nothing of the backend may remain.
/// </summary>
/// <remarks>
/// One difference is overridden, and checked rather than assumed: gVisor with <c>--network=host</c> refuses ICMP
/// sockets. runsc 0.0~20240729 (bookworm-backports) fails <c>socket(AF_INET, SOCK_RAW or SOCK_DGRAM, IPPROTO_ICMP)</c>
/// with EACCES (raw sockets need runsc's <c>--net-raw</c>, which sandboxes do not get); Debian 12's own 2022 runsc
/// failed them with EAFNOSUPPORT. So no ICMP packet can leave the sandbox: "ICMP is blocked" holds trivially and
/// the firewall has nothing to report, and "ICMP reaches" (allow-all) cannot hold. The ICMP assertions here prove
/// the refusal instead; the nsenter run of the same cases proves that the firewall drops and reports ICMP from the
/// namespace. If a later runsc lets ICMP out, these overrides fail, and
/// the base assertions apply again. Everything else (TCP, UDP, DNS over UDP and TCP, a bound foreign source
/// address, other sandboxes, the host) runs unchanged.
/// </remarks>
[BackendRequirements(typeof(Cleanroom.Backends.Gvisor.Tests.Support.GvisorRequirements))]
public sealed class GvisorEgressConformanceTests(EgressWorld world, GvisorSandboxHost gvisor)
    : EgressConformanceCases(world), IClassFixture<EgressWorld>, IClassFixture<GvisorSandboxHost>, IAsyncLifetime
{
    private const string IcmpRefused = "raw=AccessDenied dgram=AccessDenied";

    protected override IWorkloadRunner RunnerFor(SandboxNetwork sandbox) => new BackendWorkloadRunner(gvisor, sandbox);

    protected override async Task AssertIcmpIsBlockedAndReportedAsync(SandboxUnderTest sandbox, IPAddress destination)
    {
        Assert.False(await sandbox.Probe.PingAsync(destination));
        await AssertIcmpCannotBeSentAsync(sandbox);
    }

    protected override Task AssertIcmpReachesAsync(SandboxUnderTest sandbox, IPAddress destination) => AssertIcmpCannotBeSentAsync(sandbox);

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Every sandbox a case made was terminated with its network: no container, run directory or runsc process left.</summary>
    public async Task DisposeAsync()
    {
        if (HostRequirements.Missing() is null)
            Assert.Empty(await gvisor.LeftoversAsync());
    }

    private static async Task AssertIcmpCannotBeSentAsync(SandboxUnderTest sandbox)
    {
        var (opened, report) = await sandbox.Probe.IcmpSocketsAsync();
        Assert.False(opened, $"an ICMP socket opened inside gVisor ({report}): use the base ICMP assertions for this backend again");
        Assert.Equal(IcmpRefused, report);
    }
}
