namespace Cleanroom.Backends;

/// <summary>
/// The well-known keys of a <see cref="BackendCapabilities"/> map. A backend may add keys of its own;
/// the control plane only decides on these.
/// </summary>
public static class CapabilityNames
{
    /// <summary>String: the isolation boundary, <see cref="IsolationUserSpaceKernel"/> or <see cref="IsolationVm"/>.</summary>
    public const string Isolation = "isolation";
    public const string IsolationUserSpaceKernel = "user-space-kernel";
    public const string IsolationVm = "vm";

    /// <summary>Bool: egress from the sandbox is dropped unless allowed (deny-by-default can be honoured).</summary>
    public const string NetworkDefaultDeny = "network.default_deny";

    /// <summary>Bool: egress to the policy's allowed host:port pairs is let through and nothing else.</summary>
    public const string NetworkEgressAllowlist = "network.allowlist_egress";

    /// <summary>Bool: DNS goes to the policy resolver, which answers allowed names only.</summary>
    public const string NetworkDnsPolicy = "network.dns_control";

    /// <summary>Bool: a sandbox stays READY for further executions after one ends.</summary>
    public const string PersistentSandboxes = "persistent_sandboxes";

    /// <summary>Bool: files can be read out of the sandbox (DownloadSandboxFile).</summary>
    public const string FileDownload = "file_download";

    /// <summary>Bool: whole trees can be copied in and out and listed (<see cref="ISandboxFileTree"/>).</summary>
    public const string FileTree = "file_tree";

    /// <summary>Bool: TCP connections from the host to ports inside the sandbox (<see cref="ISandboxPorts"/>).</summary>
    public const string Ports = "ports";

    /// <summary>Bool: hardware acceleration (KVM) is in use, not emulation.</summary>
    public const string Accelerated = "accelerated";

    /// <summary>Bool: a Docker daemon can run inside the sandbox (policy <c>services.docker.required</c>).</summary>
    public const string Docker = "services.docker";

    /// <summary>Bool: executions can be given a pseudo-terminal.</summary>
    public const string Tty = "exec.tty";

    /// <summary>
    /// Bool: the backend can run a sandbox inside a network namespace made for it (a <see cref="NetworkAttachment"/>),
    /// which is how the egress enforcement attaches to it.
    /// </summary>
    public const string NetworkNamespaceAttach = "network.namespace_attach";

    /// <summary>
    /// Bool: a sandbox's writes are bounded by <see cref="SandboxResources.DiskBytes"/> (or the backend's default): past
    /// it the workload gets ENOSPC and the host's disk does not grow. Required when the policy sets <c>resources.disk</c>.
    /// </summary>
    public const string DiskLimit = "resources.disk_limit";
}
