using Cleanroom.Backends.Qemu.Host;

namespace Cleanroom.Backends.Qemu.Tests.Support;

/// <summary>Makes qemu backends over the shared assets, each with its own sandbox root, and checks what a sandbox left.</summary>
public sealed class QemuTestHost(QemuAssets assets)
{
    private static int _next;

    /// <summary>This host's sandbox root (one per test class instance, so leftovers never mix).</summary>
    public string SandboxRoot { get; } = Path.Combine(assets.Root, "s" + Interlocked.Increment(ref _next));

    public QemuBackend Backend(QemuSettings? settings = null, Func<QemuBackendOptions, QemuBackendOptions>? adjust = null)
    {
        var options = new QemuBackendOptions
        {
            SandboxRoot = SandboxRoot,
            CacheRoot = assets.CacheRoot,
            AgentDirectory = assets.AgentDirectory,
            DefaultKernelPath = assets.KernelPath,
            // Tests decide the accelerator themselves; KVM's probe here only times out (see AcceleratorTests).
            Settings = settings ?? QemuSettings.Default with { Accelerator = AcceleratorChoice.Tcg },
        };
        return new QemuBackend(adjust is null ? options : adjust(options), assets.Store);
    }

    public SandboxSpec Spec(SandboxResources? resources = null) => new()
    {
        SandboxId = "t" + Guid.NewGuid().ToString("N")[..12],
        ImageRef = assets.ImageReference,
        Policy = new SandboxPolicy("{}", "sha256:" + new string('0', 64), HasEgressAllowRules: false, DockerRequired: false),
        Resources = resources ?? SandboxResources.Unspecified,
        Network = new NetworkRequirements(HasEgressAllowRules: false, AllowAll: false),
    };

    /// <summary>No QEMU of the sandbox runs and its run directory (socket, pidfile, console, overlay) is gone.</summary>
    public Task AssertNothingRemainsAsync(string sandboxId)
    {
        var guest = "cleanroom-" + sandboxId;
        Assert.DoesNotContain(HostPids.QemusUnder(assets.Root), q => q.GuestName == guest);
        Assert.False(Directory.Exists(Path.Combine(SandboxRoot, guest)), $"the run directory of {sandboxId} is still there");
        return Task.CompletedTask;
    }
}
