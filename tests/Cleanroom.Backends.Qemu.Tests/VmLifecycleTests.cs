using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Backends.Qemu.Tests.Support;
using Cleanroom.Backends.Qemu.Vm;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Qemu.Tests;

/// <summary>Failures, restarts and the accelerator decision: what happens around a VM rather than inside it.</summary>
[Collection(QemuCollection.Name)]
[BackendRequirements(typeof(QemuRequirements))]
public sealed class VmLifecycleTests(QemuAssets assets)
{
    private readonly QemuTestHost _host = new(assets);

    [BackendFact]
    public async Task A_missing_kernel_fails_with_runtime_launch_failed_and_leaves_nothing()
    {
        var backend = _host.Backend(QemuSettings.Default with { Accelerator = AcceleratorChoice.Tcg, KernelPath = "/nonexistent/vmlinux" });
        var spec = _host.Spec();
        var error = await Assert.ThrowsAsync<CleanroomException>(() => backend.ProvisionAsync(spec, CancellationToken.None));
        Assert.Equal(ErrorCode.RuntimeLaunchFailed, error.Code);
        Assert.Contains("/nonexistent/vmlinux", error.Message);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    [BackendFact]
    public async Task A_kernel_QEMU_cannot_boot_fails_with_its_stderr_and_leaves_nothing()
    {
        var bogus = Path.Combine(assets.Root, "not-a-kernel");
        await File.WriteAllTextAsync(bogus, "this is not a kernel image\n");
        var backend = _host.Backend(QemuSettings.Default with { Accelerator = AcceleratorChoice.Tcg, KernelPath = bogus });
        var spec = _host.Spec();
        var error = await Assert.ThrowsAsync<CleanroomException>(() => backend.ProvisionAsync(spec, CancellationToken.None));
        Assert.Equal(ErrorCode.RuntimeLaunchFailed, error.Code);
        Assert.True(error.Message.Contains("QEMU exited", StringComparison.Ordinal) && error.Message.Contains("QEMU stderr: qemu", StringComparison.Ordinal), error.Message);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    [BackendFact]
    public async Task Reconcile_after_a_restart_removes_a_leftover_VM_and_its_files()
    {
        var before = _host.Backend();
        var spec = _host.Spec();
        var leftover = await before.ProvisionAsync(spec, CancellationToken.None);
        var guest = QemuCommandLine.GuestName(spec.SandboxId);
        Assert.Contains(HostPids.QemusUnder(assets.Root), q => q.GuestName == guest);

        // A new server: a new backend over the same directories, holding nothing of the old one.
        var after = _host.Backend();
        var reconciliation = await after.ReconcileAsync([spec], CancellationToken.None);

        Assert.Empty(reconciliation.Readopted);
        Assert.Equal([spec.SandboxId], reconciliation.RemovedLeftovers);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
        await leftover.TerminateAsync(CancellationToken.None); // the old handle tolerates it all being gone
    }

    [BackendFact]
    public async Task Auto_accelerator_is_decided_by_a_probe_boot_and_reported_with_its_reason()
    {
        var backend = _host.Backend(QemuSettings.Default with { Accelerator = AcceleratorChoice.Auto });
        var health = await backend.ProbeAsync(CancellationToken.None);

        Assert.True(health.Usable, health.Reason);
        var decision = backend.Accelerator!;
        Assert.Equal(decision.Accelerated, backend.Capabilities.Supports(CapabilityNames.Accelerated));
        Assert.Equal(CapabilityNames.IsolationVm, backend.Capabilities.ValueOf(CapabilityNames.Isolation));
        if (!File.Exists("/dev/kvm"))
            Assert.Contains("/dev/kvm does not exist", decision.Reason);
        else if (Directory.Exists("/sys/module/kvm_pvm"))
        {
            // This project's hosts: KVM exists but is PVM, which hangs a stock kernel; the probe must see through it.
            Assert.Equal(Accelerator.Tcg, decision.Accelerator);
            Assert.Contains("kvm_pvm", decision.Reason);
        }
        Assert.Empty(Directory.Exists(_host.SandboxRoot) ? Directory.GetFileSystemEntries(_host.SandboxRoot) : []);
    }

    [BackendFact]
    public async Task Forced_kvm_is_used_only_when_its_probe_boot_succeeds()
    {
        var backend = _host.Backend(QemuSettings.Default with { Accelerator = AcceleratorChoice.Kvm });
        var health = await backend.ProbeAsync(CancellationToken.None);
        if (health.Usable)
        {
            Assert.True(backend.Capabilities.Supports(CapabilityNames.Accelerated));
            return;
        }
        Assert.Contains("backends.qemu.accel is kvm", health.Reason);
        Assert.Null(backend.Accelerator);
        Assert.False(backend.Capabilities.Supports(CapabilityNames.Accelerated));
    }
}
