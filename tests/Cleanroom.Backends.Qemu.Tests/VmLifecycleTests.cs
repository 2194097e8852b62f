using Cleanroom.Backends.Qemu.Sandbox;
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
    public async Task A_new_server_re_adopts_a_running_VM_with_its_files_and_background_processes_and_stops_what_was_executing()
    {
        var spec = _host.Spec();
        var vm = (QemuSandbox)await _host.Backend().ProvisionAsync(spec, CancellationToken.None);
        await ExecutionResult.RunAsync(vm, "sh", "-c", "echo kept > /tmp/file && (sleep 600 > /dev/null 2>&1 & echo $! > /tmp/background.pid)");
        using var started = new CancellationTokenSource(ExecutionResult.DefaultTimeout);
        var running = await vm.StartExecutionAsync(new ExecutionSpec { Argv = ["sh", "-c", "echo $$ > /tmp/running.pid; echo started; exec sleep 600"] }, started.Token);
        await running.Output.ReadAsync(started.Token);

        // What the server's death does to the VM: its connection to the agent closes, nothing else.
        await vm.Agent.DisposeAsync();

        var reconciliation = await _host.Backend().ReconcileAsync([spec], CancellationToken.None);
        var adopted = Assert.Single(reconciliation.Readopted);
        Assert.Empty(reconciliation.RemovedLeftovers);
        Assert.Equal("kept\n", (await ExecutionResult.RunAsync(adopted, "cat", "/tmp/file")).Stdout);
        Assert.Equal(0, (await ExecutionResult.RunAsync(adopted, "sh", "-c", "kill -0 $(cat /tmp/background.pid)")).Exit.ExitCode);
        Assert.NotEqual(0, (await ExecutionResult.RunAsync(adopted, "sh", "-c", "kill -0 $(cat /tmp/running.pid)")).Exit.ExitCode);

        await adopted.TerminateAsync(CancellationToken.None);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    [BackendFact]
    public async Task Reconcile_removes_an_expected_VM_whose_QEMU_is_gone_and_any_VM_nobody_expects()
    {
        var gone = _host.Spec();
        var goneVm = (QemuSandbox)await _host.Backend().ProvisionAsync(gone, CancellationToken.None);
        var stray = _host.Spec();
        await _host.Backend().ProvisionAsync(stray, CancellationToken.None);
        await goneVm.Agent.DisposeAsync();
        Assert.True(HostPids.KillAndWait(goneVm.QemuPid, TimeSpan.FromSeconds(10)));

        var reconciliation = await _host.Backend().ReconcileAsync([gone], CancellationToken.None);

        Assert.Empty(reconciliation.Readopted);
        Assert.Equal(new[] { gone.SandboxId, stray.SandboxId }.Order(StringComparer.Ordinal), reconciliation.RemovedLeftovers);
        await _host.AssertNothingRemainsAsync(gone.SandboxId);
        await _host.AssertNothingRemainsAsync(stray.SandboxId);
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
