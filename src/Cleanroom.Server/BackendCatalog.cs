using Cleanroom.Backends;
using Cleanroom.Backends.Gvisor;
using Cleanroom.Backends.Qemu;
using Cleanroom.Images;
using Cleanroom.Network;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Egress;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server;

/// <summary>The enforcement every sandbox network goes through, when the host can provide it, and the host gateway on each link.</summary>
public sealed record EgressEnforcement(SandboxNetworks Networks, EgressEventRecorder Recorder, Gateway.HostGateway? Gateway = null);

/// <summary>
/// The backends this build of Cleanroom offers, strongest isolation first: the registry picks the first
/// usable one when neither the request nor the runtime config names a backend.
/// </summary>
public static class BackendCatalog
{
    /// <summary>
    /// Where <c>scripts/build-agent.sh</c> stages the guest agent: <c>out/agent</c> beside <c>out/bin</c>, and the
    /// same layout in an installation.
    /// </summary>
    public static string AgentDirectory => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "agent"));

    public static BackendRegistry ForHost(
        RuntimeConfiguration configuration,
        HostDirectories directories,
        ILoggerFactory loggers,
        ImageStore images,
        EgressEnforcement? enforcement = null)
    {
        var registry = new BackendRegistry();
        var gvisor = new GvisorBackend(new GvisorBackendOptions
        {
            RunscRoot = Path.Combine(directories.RuntimeDirectory, "runsc"),
            // Sandbox writes land here: on disk (the cache directory), not in a small runtime tmpfs.
            SandboxRoot = Path.Combine(directories.CacheHome, "sandboxes"),
            AgentDirectory = AgentDirectory,
            Settings = GvisorSettings.From(configuration.BackendSettings(GvisorBackend.BackendName)),
        }, images, loggers);
        registry.Register(Enforce(gvisor, enforcement, loggers));
        var qemu = new QemuBackend(new QemuBackendOptions
        {
            SandboxRoot = Path.Combine(directories.RuntimeDirectory, "qemu"),
            CacheRoot = Path.Combine(directories.CacheHome, "qemu"),
            AgentDirectory = AgentDirectory,
            // scripts/build-kernel.sh builds it into the data directory of whoever ran setup, maybe after the
            // server started (setup builds it in the background): the backend looks it up at each boot.
            KernelDataHome = directories.DataHome,
            Settings = QemuSettings.From(configuration.BackendSettings(QemuBackend.BackendName)),
        }, images, loggers);
        registry.Register(Enforce(qemu, enforcement, loggers));
        return registry;
    }

    /// <summary>
    /// The backend for sandboxes whose request and runtime config name none: a hardware VM when KVM works here
    /// (the strongest boundary at full speed), else gVisor. Emulated QEMU is never chosen for the user: it is the
    /// VM boundary at a large speed cost, so it runs only when asked for by name.
    /// </summary>
    public static async Task<string> ChooseDefaultAsync(BackendRegistry registry, CancellationToken cancellationToken)
    {
        // gVisor's probe (a sandbox) runs while QEMU's (a boot) does: whichever is chosen, the server needs both
        // answers before it serves, and one after the other they took about 3 s of every start.
        if (registry.Find(GvisorBackend.BackendName) is { } gvisor)
            _ = registry.ProbeAsync(gvisor, cancellationToken);
        if (registry.Find(QemuBackend.BackendName) is { } qemu
            && (await registry.ProbeAsync(qemu, cancellationToken)).Usable
            && qemu.Capabilities.Supports(CapabilityNames.Accelerated))
        {
            return QemuBackend.BackendName;
        }

        return GvisorBackend.BackendName;
    }

    /// <summary>
    /// Without enforcement a backend keeps its own (network-less) capabilities, so a policy with allow rules fails
    /// closed with backend_capability_mismatch instead of running unenforced.
    /// </summary>
    private static ISandboxBackend Enforce(ISandboxBackend backend, EgressEnforcement? enforcement, ILoggerFactory loggers) =>
        enforcement is not null && backend.Capabilities.Supports(CapabilityNames.NetworkNamespaceAttach)
            ? new EnforcedBackend(backend, enforcement.Networks, enforcement.Recorder, loggers.CreateLogger<EnforcedBackend>(), enforcement.Gateway)
            : backend;
}
