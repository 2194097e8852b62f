namespace Cleanroom.Network.Tests;

/// <summary>
/// One backend's side of the egress conformance run (<see cref="GvisorSandboxHost"/>, <see cref="QemuSandboxHost"/>):
/// it provisions a sandbox of the busybox image inside a <see cref="SandboxNetwork"/> exactly as the server's
/// EnforcedBackend does, and holds the NativeAOT probe that <see cref="BackendWorkloadRunner"/> copies into it.
/// </summary>
public interface ISandboxHost
{
    /// <summary>The AOT probe's bytes, copied into each sandbox once.</summary>
    byte[] Probe { get; }

    /// <summary>
    /// True when the sandbox's network stack is the namespace's own (gVisor with <c>--network=host</c>): an address
    /// added to the namespace's link is one the workload can send from. False when the sandbox has a kernel of its
    /// own behind the link (a VM), where such an address has to be added inside the guest.
    /// </summary>
    bool SharesNamespaceStack { get; }

    Task<Cleanroom.Backends.IProvisionedSandbox> ProvisionAsync(SandboxNetwork network, CancellationToken cancellationToken);
}
