namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>How a VM's CPU runs: hardware virtualisation, or QEMU's emulator.</summary>
public enum Accelerator
{
    Kvm,
    Tcg,
}

/// <summary>The accelerator this host uses for sandboxes, and in words why (shown by <c>doctor</c>).</summary>
public sealed record AcceleratorDecision(Accelerator Accelerator, string Reason)
{
    public bool Accelerated => Accelerator == Accelerator.Kvm;
}
