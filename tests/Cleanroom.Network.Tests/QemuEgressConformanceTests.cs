using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Qemu.Tests.Support;

namespace Cleanroom.Network.Tests;

/// <summary>
/// The conformance cases with the workload in a real QEMU microVM: the qemu backend provisions it on the sandbox
/// network (<see cref="Cleanroom.Backends.NetworkAttachment"/> with the link's addresses, as the server's
/// EnforcedBackend does), so the namespace becomes a bridge between a TAP and its link and the guest kernel owns
/// the sandbox address; the probe runs inside the guest through the agent. One VM per network, booted on the
/// network's first probe. After each test nothing of the backend may remain.
/// </summary>
/// <remarks>
/// Nothing is overridden: a guest has its own kernel, so ICMP leaves it like any other packet and the firewall
/// must drop, report and (for allow-all) forward it exactly as for a process in the namespace. A forged source
/// is forged inside the guest (<see cref="IWorkloadRunner.AddLinkAddressAsync"/>), where the workload is root.
/// Skipped with the reason when the host cannot run QEMU (<see cref="QemuRequirements"/>).
/// </remarks>
[BackendRequirements(typeof(QemuRequirements))]
public sealed class QemuEgressConformanceTests(EgressWorld world, QemuSandboxHost qemu)
    : EgressConformanceCases(world), IClassFixture<EgressWorld>, IClassFixture<QemuSandboxHost>, IAsyncLifetime
{
    protected override IWorkloadRunner RunnerFor(SandboxNetwork sandbox) => new BackendWorkloadRunner(qemu, sandbox);

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Every VM a case made was terminated with its network: no QEMU process or run directory left.</summary>
    public Task DisposeAsync()
    {
        if (HostRequirements.Missing() is null && new QemuRequirements().Missing() is null)
            Assert.Empty(qemu.Leftovers());
        return Task.CompletedTask;
    }
}
