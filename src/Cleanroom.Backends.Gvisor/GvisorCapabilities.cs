namespace Cleanroom.Backends.Gvisor;

/// <summary>What the gVisor backend enforces today. Nothing is claimed that is not enforced.</summary>
internal static class GvisorCapabilities
{
    public static BackendCapabilities Map { get; } = BackendCapabilities.From(new Dictionary<string, object>
    {
        [CapabilityNames.Isolation] = CapabilityNames.IsolationUserSpaceKernel,
        // Alone, the backend runs with --network=none: a loopback and nothing else, so deny by default holds
        // trivially and allow rules cannot be honoured. It can run inside a namespace the egress enforcement
        // makes (--network=host there), which then claims the allow-list and policy DNS for it.
        [CapabilityNames.NetworkDefaultDeny] = true,
        [CapabilityNames.NetworkEgressAllowlist] = false,
        [CapabilityNames.NetworkDnsPolicy] = false,
        [CapabilityNames.NetworkNamespaceAttach] = true,
        [CapabilityNames.PersistentSandboxes] = true,
        [CapabilityNames.FileDownload] = true,
        [CapabilityNames.FileTree] = true,
        [CapabilityNames.Ports] = true,
        // The agent we ship announces tty support; an agent that does not is refused per execution.
        [CapabilityNames.Tty] = true,
        // dockerd runs inside with cgroup v1, tmpfs under /var/lib/docker and no bridge or iptables (gVisor gives the
        // sandbox the namespace's own network stack): containers and builds need --network=host (Setup/DockerDaemon.cs).
        [CapabilityNames.Docker] = true,
        // Every sandbox's writable layer sits on a file system of its limit (Disk/FilestoreDisk.cs).
        [CapabilityNames.DiskLimit] = true,
        // "accelerated" is left out: it describes VM backends (KVM versus emulation) and means nothing here.
    });
}
