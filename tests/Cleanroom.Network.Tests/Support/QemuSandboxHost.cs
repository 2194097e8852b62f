using Cleanroom.Backends;
using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Qemu;
using Cleanroom.Backends.Qemu.Tests.Support;
using Cleanroom.Images;

namespace Cleanroom.Network.Tests;

/// <summary>
/// The QEMU side of the egress conformance run, made once per test class: the staged agent
/// (scripts/build-agent.sh), the guest kernel (scripts/build-kernel.sh, a no-op once cached), the busybox image
/// (scripts/build-images.sh) in an image store of its own, the NativeAOT probe, and a <see cref="QemuBackend"/>
/// whose sandbox root and caches live in a fresh temporary directory. The accelerator is decided as the server
/// decides it (<c>auto</c>: KVM only when a probe boot works, else TCG). Sandboxes are provisioned exactly as the
/// server's EnforcedBackend does it: with the <see cref="SandboxNetwork"/>'s namespace, resolv.conf, link,
/// addresses and prefix. Disposal removes everything under the directory even after failures: a reconcile sweep,
/// then any process still naming the directory, then the directory itself.
/// </summary>
public sealed class QemuSandboxHost : ISandboxHost, IAsyncLifetime
{
    private const string ImageReference = "cleanroom-test/busybox:egress";

    // Short on purpose: each sandbox's agent socket lives under it and must fit a unix socket address.
    private readonly string _root = Directory.CreateTempSubdirectory("cr-qn-").FullName;

    private QemuBackend? _backend;

    private string _imageRef = "";

    public string SandboxRoot => Path.Combine(_root, "sbx");

    public byte[] Probe { get; private set; } = [];

    /// <summary>The guest has a kernel and network stack of its own behind the namespace's bridge.</summary>
    public bool SharesNamespaceStack => false;

    private QemuBackend Backend => _backend ?? throw new InvalidOperationException("the QEMU host was not initialised (not root, or no QEMU?)");

    public async Task InitializeAsync()
    {
        if (HostRequirements.Missing() is not null || new QemuRequirements().Missing() is not null)
            return; // every test skips; nothing to prepare
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(40));
        var agentDirectory = await BuildScripts.StagedAgentAsync(deadline.Token);
        var kernel = Path.Combine(await BuildScripts.GuestKernelDirectoryAsync(deadline.Token), "vmlinux");
        var busybox = await BuildScripts.BusyboxTarAsync(deadline.Token);

        var probe = await NativeProbe.EnsurePublishedAsync();
        var staged = Directory.EnumerateFiles(Path.Combine(agentDirectory, "lib")).Select(Path.GetFileName).ToHashSet();
        var missing = (await NativeProbe.LinkedLibrariesAsync(probe)).Where(l => !staged.Contains(l)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"the AOT probe links {string.Join(", ", missing)}, which the staged agent's lib/ does not bring");
        Probe = await File.ReadAllBytesAsync(probe, deadline.Token);

        var images = new ImageStore(new ImageStoreOptions(Path.Combine(_root, "images"), Path.Combine(_root, "rootfs")));
        await using (var tar = File.OpenRead(busybox))
            _imageRef = (await images.ImportAsync(ImageReference, tar, cancellationToken: deadline.Token)).Reference!.ToString();
        _backend = new QemuBackend(new QemuBackendOptions
        {
            SandboxRoot = SandboxRoot,
            CacheRoot = Path.Combine(_root, "cache"),
            AgentDirectory = agentDirectory,
            DefaultKernelPath = kernel,
            Settings = QemuSettings.Default with { Accelerator = AcceleratorChoice.Auto },
        }, images);
        // The accelerator decision (a probe boot) happens once, here, rather than inside the first case's deadline.
        var health = await Backend.ProbeAsync(deadline.Token);
        if (!health.Usable)
            throw new InvalidOperationException($"the qemu backend cannot boot a guest here: {health.Reason}");
    }

    /// <summary>A VM of the busybox image on <paramref name="network"/>, as the server's EnforcedBackend makes one.</summary>
    public Task<IProvisionedSandbox> ProvisionAsync(SandboxNetwork network, CancellationToken cancellationToken) =>
        Backend.ProvisionAsync(new SandboxSpec
        {
            SandboxId = network.SandboxId,
            ImageRef = _imageRef,
            Policy = new SandboxPolicy("{}", "sha256:egress-test", HasEgressAllowRules: true, DockerRequired: false),
            Network = new NetworkRequirements(HasEgressAllowRules: true, AllowAll: false),
            Attachment = new NetworkAttachment(network.NamespacePath, network.ResolvConf)
            {
                Interface = network.SandboxInterface,
                SandboxAddress = network.SandboxAddress,
                GatewayAddress = network.HostAddress,
                PrefixLength = network.PrefixLength,
            },
        }, cancellationToken);

    /// <summary>What is left of terminated sandboxes: run directories (socket, pidfile, console, overlay) and QEMU processes.</summary>
    public IReadOnlyList<string> Leftovers()
    {
        var left = new List<string>();
        if (Directory.Exists(SandboxRoot))
            left.AddRange(Directory.EnumerateFileSystemEntries(SandboxRoot).Select(d => "run directory " + d));
        left.AddRange(ProcessesNaming.Find(_root).Select(pid => $"process {pid}"));
        return left;
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_backend is not null)
                await _backend.ReconcileAsync([], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            await ProcessesNaming.KillAsync(_root, TimeSpan.FromSeconds(10));
            Directory.Delete(_root, recursive: true);
        }
    }
}
