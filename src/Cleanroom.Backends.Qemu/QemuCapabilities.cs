namespace Cleanroom.Backends.Qemu;

/// <summary>What the qemu backend enforces today. Nothing is claimed that is not enforced.</summary>
internal static class QemuCapabilities
{
    public static BackendCapabilities For(bool accelerated) => BackendCapabilities.From(new Dictionary<string, object>
    {
        [CapabilityNames.Isolation] = CapabilityNames.IsolationVm,
        // Without an attachment the VM has no network device at all, so nothing leaves it: deny by default holds
        // trivially. Allow rules and policy DNS are the server's enforcement (EnforcedBackend), not the VM's own.
        [CapabilityNames.NetworkDefaultDeny] = true,
        [CapabilityNames.NetworkEgressAllowlist] = false,
        [CapabilityNames.NetworkDnsPolicy] = false,
        // With a NetworkAttachment the VM joins the sandbox's namespace (NamespaceBridge) and the server's
        // enforcement applies to it like to any other backend; the server then claims the three above.
        [CapabilityNames.NetworkNamespaceAttach] = true,
        [CapabilityNames.PersistentSandboxes] = true,
        [CapabilityNames.FileDownload] = true,
        [CapabilityNames.FileTree] = true,
        [CapabilityNames.Ports] = true,
        [CapabilityNames.Tty] = true,
        // The guest kernel carries what dockerd needs (kernel/cleanroom.config); the control plane starts dockerd
        // (Setup/DockerDaemon.cs) and its containers' traffic leaves through the guest's one link like any other.
        [CapabilityNames.Docker] = true,
        [CapabilityNames.Accelerated] = accelerated,
        // The sandbox's disk is a qcow2 overlay of exactly the requested size (Disks/SandboxDisk.cs): the guest's file
        // system ends there, and the overlay file cannot grow past it.
        [CapabilityNames.DiskLimit] = true,
    });
}
