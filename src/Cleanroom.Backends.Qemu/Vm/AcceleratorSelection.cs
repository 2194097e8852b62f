namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>
/// Decides between KVM and TCG for <c>backends.qemu.accel</c>: <c>tcg</c> as told; <c>kvm</c> only if a KVM
/// probe boot succeeds (otherwise the backend is unusable, with the reason); <c>auto</c> tries a KVM probe boot
/// with a short deadline and falls back to emulation, saying why. The reason is what <c>doctor</c> shows.
/// </summary>
internal sealed class AcceleratorSelection(QemuBackendOptions options, ProbeBoot probe)
{
    private const string KvmDevice = "/dev/kvm";
    private const string PvmModule = "/sys/module/kvm_pvm";

    /// <summary>The decision, or null with the reason when the configured accelerator cannot run here.</summary>
    public async Task<(AcceleratorDecision? Decision, string? Problem)> DecideAsync(string kernel, string initramfs, CancellationToken cancellationToken)
    {
        var choice = options.Settings.Accelerator;
        if (choice == AcceleratorChoice.Tcg)
            return (new AcceleratorDecision(Accelerator.Tcg, "backends.qemu.accel is tcg: emulated, no hardware acceleration"), null);

        var kvmProblem = await KvmProblemAsync(kernel, initramfs, cancellationToken).ConfigureAwait(false);
        if (kvmProblem is null)
            return (new AcceleratorDecision(Accelerator.Kvm, "a probe boot under KVM succeeded"), null);
        if (choice == AcceleratorChoice.Kvm)
            return (null, $"backends.qemu.accel is kvm, but {kvmProblem}");
        return (new AcceleratorDecision(Accelerator.Tcg, $"emulating (TCG), because {kvmProblem}"), null);
    }

    private async Task<string?> KvmProblemAsync(string kernel, string initramfs, CancellationToken cancellationToken)
    {
        if (!File.Exists(KvmDevice))
            return $"{KvmDevice} does not exist (no hardware virtualisation, or the kvm module is not loaded)";
        var result = await probe.RunAsync(Accelerator.Kvm, kernel, initramfs, options.KvmProbeTimeout, cancellationToken).ConfigureAwait(false);
        if (result.Problem is null)
            return null;
        if (Directory.Exists(PvmModule))
            return $"a probe boot under KVM failed ({result.Problem}); {PvmModule} is present: the host's KVM is PVM, which boots only "
                + "PVM-enabled guest kernels; set backends.qemu.kernel to such a kernel to use it";
        return $"a probe boot under KVM failed: {result.Problem}";
    }
}
