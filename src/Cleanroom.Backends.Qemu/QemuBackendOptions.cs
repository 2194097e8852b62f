namespace Cleanroom.Backends.Qemu;

/// <summary>
/// Where the qemu backend keeps things and how patient it is. The server builds this once from its host
/// directories and the runtime config:
/// <code>
/// new QemuBackendOptions
/// {
///     SandboxRoot = $"{dirs.RuntimeDirectory}/qemu",              // run dir per sandbox: sockets, pidfile, console, overlay
///     CacheRoot = $"{dirs.CacheHome}/qemu",                       // ext4 images by digest, initramfs by agent hash
///     AgentDirectory = "out/agent",                               // what scripts/build-agent.sh staged
///     KernelDataHome = dirs.DataHome,                             // where scripts/build-kernel.sh builds it
///     Settings = QemuSettings.From(config.BackendSettings("qemu")),
/// }
/// </code>
/// </summary>
public sealed record QemuBackendOptions
{
    /// <summary>
    /// Parent of the per-sandbox run directories (<c>cleanroom-&lt;id&gt;/</c>). Owned by this backend alone: after
    /// a restart every <c>cleanroom-*</c> directory here is a leftover. The sandbox's qcow2 overlay lives here
    /// too, so a sandbox's writes take space here; on hosts where the runtime directory is a small tmpfs the
    /// server may put this on disk instead.
    /// </summary>
    public required string SandboxRoot { get; init; }

    /// <summary>Caches that outlive sandboxes: <c>ext4/&lt;digest&gt;.ext4</c> base disks and <c>initramfs/&lt;hash&gt;.cpio</c>.</summary>
    public required string CacheRoot { get; init; }

    /// <summary>The staged agent: <c>cleanroom-agent</c> and <c>lib/</c> with its loader and libraries (scripts/build-agent.sh).</summary>
    public required string AgentDirectory { get; init; }

    /// <summary>The kernel used when <see cref="QemuSettings.KernelPath"/> is empty (tests name one directly).</summary>
    public string? DefaultKernelPath { get; init; }

    /// <summary>
    /// The data directory (<c>$XDG_DATA_HOME/cleanroom</c>) whose <c>kernels/current</c> scripts/build-kernel.sh
    /// fills, used when neither <see cref="QemuSettings.KernelPath"/> nor <see cref="DefaultKernelPath"/> names a
    /// kernel. Looked up at every boot, not once: setup builds the kernel in the background, so a server started
    /// before that build ended uses the kernel as soon as it exists.
    /// </summary>
    public string? KernelDataHome { get; init; }

    public QemuSettings Settings { get; init; } = QemuSettings.Default;

    /// <summary>
    /// The user QEMU drops to (its <c>-runas</c>) once it has opened its disks, socket and files as root, so a
    /// guest that escapes into QEMU holds no privileges. Null keeps QEMU root. A dedicated user is better than
    /// the shared <c>nobody</c> where the host has one. See README.md.
    /// </summary>
    public string? RunAsUser { get; init; } = "nobody";

    /// <summary>How long a new VM has to answer the agent handshake (boot included) before provisioning fails.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a KVM probe boot may take; KVM that cannot boot our kernel hangs, so this is short.</summary>
    public TimeSpan KvmProbeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an emulated (TCG) probe boot may take.</summary>
    public TimeSpan TcgProbeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Budget for one helper command (qemu-img, mkfs.ext4).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long running commands get between SIGTERM and SIGKILL when a sandbox is terminated.</summary>
    public TimeSpan TerminateGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Memory when the sandbox's resources name none (raised to <see cref="QemuSettings.MinMemoryMib"/>).</summary>
    public long DefaultMemoryBytes { get; init; } = 512L << 20;

    /// <summary>
    /// Memory a sandbox whose policy requires Docker gets at least: dockerd, containerd and a container's shim sit
    /// beside the agent (about 150 MiB before any container runs), and an image build unpacks layers in the page cache.
    /// </summary>
    public long DockerMemoryBytes { get; init; } = 1L << 30;

    /// <summary>
    /// Disk size when the sandbox's resources name none. Null means the image's own disk (its content plus
    /// <see cref="Disks.Ext4ImageBuilder.Headroom"/>), which boots fastest: growing the file system costs boot time.
    /// </summary>
    public long? DefaultDiskBytes { get; init; }

    /// <summary>Bytes of output per execution in flight between the agent and the control plane.</summary>
    public int OutputWindow { get; init; } = 1 << 20;

    /// <summary>
    /// The kernel <c>scripts/build-kernel.sh</c> built under <paramref name="dataHome"/> (<c>$XDG_DATA_HOME/cleanroom</c>):
    /// <c>kernels/current/vmlinux</c>, else its bzImage, else null.
    /// </summary>
    public static string? BuiltKernel(string dataHome)
    {
        var current = Path.Combine(dataHome, "kernels", "current");
        foreach (var name in new[] { "vmlinux", "bzImage" })
        {
            var path = Path.Combine(current, name);
            if (File.Exists(path))
                return path;
        }
        return null;
    }
}
