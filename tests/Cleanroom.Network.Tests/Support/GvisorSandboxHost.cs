using Cleanroom.Backends;
using Cleanroom.Backends.Gvisor;
using Cleanroom.Images;

namespace Cleanroom.Network.Tests;

/// <summary>
/// The gVisor side of the egress conformance run, made once per test class: the staged agent
/// (scripts/build-agent.sh), the busybox image (scripts/build-images.sh) in an image store of its own, the
/// NativeAOT probe, and a <see cref="GvisorBackend"/> whose runsc root and sandbox root live in a fresh
/// temporary directory. Sandboxes are provisioned exactly as the server's EnforcedBackend does it: in the
/// <see cref="SandboxNetwork"/>'s namespace with its resolv.conf. Disposal removes everything under the
/// directory even after failures: a reconcile sweep, then any process still naming the directory, then the
/// directory itself.
/// </summary>
public sealed class GvisorSandboxHost : ISandboxHost, IAsyncLifetime
{
    private const string ImageReference = "cleanroom-test/busybox:egress";

    // Short on purpose: runsc puts unix sockets under its root.
    private readonly string _root = Directory.CreateTempSubdirectory("cr-gvn-").FullName;

    private GvisorBackend? _backend;

    private string _imageRef = "";

    public string RunscRoot => Path.Combine(_root, "runsc");

    public string SandboxRoot => Path.Combine(_root, "sbx");

    public byte[] Probe { get; private set; } = [];

    /// <summary>runsc runs with <c>--network=host</c> inside the namespace: the sandbox uses the namespace's own stack.</summary>
    public bool SharesNamespaceStack => true;

    private GvisorBackend Backend => _backend ?? throw new InvalidOperationException("the gVisor host was not initialised (not root?)");

    public async Task InitializeAsync()
    {
        if (HostRequirements.Missing() is not null)
            return; // every test skips; nothing to prepare
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        if (!path.Any(dir => File.Exists(Path.Combine(dir, "runsc"))))
            throw new InvalidOperationException("the gVisor egress conformance run needs runsc (apt-get install runsc)");

        var agentDirectory = Path.Combine(RepositoryRoot.Path, "out", "agent");
        await HostShell.RunAsync(["bash", "scripts/build-agent.sh", agentDirectory], timeout: TimeSpan.FromMinutes(20), workingDirectory: RepositoryRoot.Path);
        var busybox = Path.Combine(RepositoryRoot.Path, "out", "images", "busybox.tar");
        if (!File.Exists(busybox))
            await HostShell.RunAsync(["bash", "scripts/build-images.sh", Path.GetDirectoryName(busybox)!, "busybox"], timeout: TimeSpan.FromMinutes(20), workingDirectory: RepositoryRoot.Path);

        var probe = await NativeProbe.EnsurePublishedAsync();
        var staged = Directory.EnumerateFiles(Path.Combine(agentDirectory, "lib")).Select(Path.GetFileName).ToHashSet();
        var missing = (await NativeProbe.LinkedLibrariesAsync(probe)).Where(l => !staged.Contains(l)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"the AOT probe links {string.Join(", ", missing)}, which the staged agent's lib/ does not bring");
        Probe = await File.ReadAllBytesAsync(probe);

        var images = new ImageStore(new ImageStoreOptions(Path.Combine(_root, "images"), Path.Combine(_root, "rootfs")));
        await using (var tar = File.OpenRead(busybox))
            _imageRef = (await images.ImportAsync(ImageReference, tar)).Reference!.ToString();
        _backend = new GvisorBackend(new GvisorBackendOptions
        {
            RunscRoot = RunscRoot,
            SandboxRoot = SandboxRoot,
            AgentDirectory = agentDirectory,
        }, images);
    }

    /// <summary>A gVisor sandbox of the busybox image inside <paramref name="network"/>, as the server makes one.</summary>
    public Task<IProvisionedSandbox> ProvisionAsync(SandboxNetwork network, CancellationToken cancellationToken) =>
        Backend.ProvisionAsync(new SandboxSpec
        {
            SandboxId = network.SandboxId,
            ImageRef = _imageRef,
            Policy = new SandboxPolicy("{}", "sha256:egress-test", HasEgressAllowRules: true, DockerRequired: false),
            Network = new NetworkRequirements(HasEgressAllowRules: true, AllowAll: false),
            Attachment = new NetworkAttachment(network.NamespacePath, network.ResolvConf),
        }, cancellationToken);

    /// <summary>What is left of terminated sandboxes: containers runsc still lists under our root, run directories.</summary>
    public async Task<IReadOnlyList<string>> LeftoversAsync()
    {
        var left = new List<string>();
        if (Directory.Exists(RunscRoot))
        {
            var (_, stdout, _) = await HostShell.RunAsync(["runsc", $"--root={RunscRoot}", "list", "--quiet"]);
            left.AddRange(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(id => "runsc container " + id));
        }
        if (Directory.Exists(SandboxRoot))
            left.AddRange(Directory.EnumerateFileSystemEntries(SandboxRoot).Select(d => "run directory " + d));
        left.AddRange(ProcessesNaming.Find(_root).Select(pid => $"process {pid}"));
        return left;
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_backend is not null && Directory.Exists(RunscRoot))
                await _backend.ReconcileAsync([], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            await ProcessesNaming.KillAsync(_root, TimeSpan.FromSeconds(10));
            Directory.Delete(_root, recursive: true);
        }
    }
}
