using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Gvisor.Interop;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor.Tests.Support;

/// <summary>
/// One test's private gVisor world: runsc root and sandbox root in a fresh temporary directory, backends
/// over them, and a cleanup that removes everything even when the test failed half-way (terminate what
/// the test made, then a reconcile sweep, then kill anything still under the root, then the directory).
/// Short paths on purpose: runsc puts unix sockets under its root.
/// </summary>
public sealed class GvisorTestHost : IAsyncDisposable
{
    private readonly List<IProvisionedSandbox> _sandboxes = [];

    public GvisorTestHost(GvisorAssets assets)
    {
        Assets = assets;
        Root = Directory.CreateTempSubdirectory("cr-gv-").FullName;
    }

    public GvisorAssets Assets { get; }

    public string Root { get; }

    public string RunscRoot => Path.Combine(Root, "runsc");

    public string SandboxRoot => Path.Combine(Root, "sbx");

    /// <summary>True once <see cref="MountPrivateSandboxRootAsync"/> put the sandbox root on a file system of its own.</summary>
    public bool SandboxRootIsPrivate { get; private set; }

    /// <summary>
    /// Puts <see cref="SandboxRoot"/> on a tmpfs of <paramref name="bytes"/>, so what sandboxes write there can be measured
    /// exactly (statfs of a file system nothing else uses) and the host's free space is what the test says it is.
    /// Unmounted by <see cref="DisposeAsync"/>.
    /// </summary>
    public async Task MountPrivateSandboxRootAsync(long bytes)
    {
        Directory.CreateDirectory(SandboxRoot);
        var result = await new ProcessRunner(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            .RunAsync(["mount", "-t", "tmpfs", "-o", $"size={bytes},mode=0700", "cleanroom-test", SandboxRoot], TimeSpan.FromSeconds(30), CancellationToken.None);
        result.EnsureSuccess();
        SandboxRootIsPrivate = true;
    }

    /// <summary>Loop devices whose backing file is under this host's root (sandbox disks not yet detached).</summary>
    internal IReadOnlyList<AttachedLoop> LoopDevicesUnderRoot() => LoopDevices.BackedBy(file => file.StartsWith(Root + "/", StringComparison.Ordinal));

    /// <summary>Mount points under this host's root, the private sandbox root itself excepted.</summary>
    public IReadOnlyList<string> MountsUnderRoot() =>
        Mounts.MountPoints().Where(p => p.StartsWith(Root + "/", StringComparison.Ordinal) && !(SandboxRootIsPrivate && p == SandboxRoot)).ToList();

    /// <summary>Options over this host's roots; <paramref name="platform"/> is <c>backends.gvisor.platform</c> (default auto).</summary>
    public GvisorBackendOptions Options(string? agentDirectory = null, PlatformChoice platform = PlatformChoice.Auto) => new()
    {
        RunscRoot = RunscRoot,
        SandboxRoot = SandboxRoot,
        AgentDirectory = agentDirectory ?? Assets.AgentDirectory,
        Settings = GvisorSettings.Default with { Platform = platform },
    };

    /// <summary>The runsc <c>--platform</c> of every live runsc process of the container (runsc run, the sandbox, the gofer).</summary>
    public static IReadOnlyList<string> PlatformsOfContainer(string sandboxId) =>
        ProcessesMentioning("cleanroom-" + sandboxId)
            .Select(pid => CommandLine(pid).FirstOrDefault(a => a.StartsWith("--platform=", StringComparison.Ordinal)))
            .OfType<string>().Select(a => a["--platform=".Length..]).ToArray();

    private static string[] CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException)
        {
            return []; // it exited meanwhile
        }
    }

    public GvisorBackend Backend(GvisorBackendOptions? options = null) => new(options ?? Options(), Assets.Images);

    public static string NewSandboxId() => "t" + Guid.NewGuid().ToString("N")[..11];

    public SandboxSpec Spec(string? sandboxId = null, SandboxResources? resources = null) => new()
    {
        SandboxId = sandboxId ?? NewSandboxId(),
        ImageRef = Assets.ImageRef,
        Policy = new SandboxPolicy("{}", "sha256:test", HasEgressAllowRules: false, DockerRequired: false),
        Network = new NetworkRequirements(HasEgressAllowRules: false, AllowAll: false),
        Resources = resources ?? SandboxResources.Unspecified,
    };

    /// <summary>Provisions through <paramref name="backend"/> and remembers the sandbox for cleanup.</summary>
    public async Task<IProvisionedSandbox> ProvisionAsync(ISandboxBackend backend, SandboxSpec? spec = null)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var sandbox = await backend.ProvisionAsync(spec ?? Spec(), deadline.Token);
        lock (_sandboxes)
            _sandboxes.Add(sandbox);
        return sandbox;
    }

    /// <summary>The host-side evidence that a sandbox is completely gone.</summary>
    public async Task AssertNothingRemainsAsync(string sandboxId)
    {
        var containerId = "cleanroom-" + sandboxId;
        var list = await RunscListAsync();
        Assert.DoesNotContain(containerId, list);
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), line => line.Contains(containerId));
        Assert.Empty(MountsUnderRoot());
        Assert.Empty(LoopDevicesUnderRoot());
        Assert.Empty(ProcessesMentioning(containerId));
        Assert.False(Directory.Exists(Path.Combine(SandboxRoot, containerId)), "the run directory is still there");
        Assert.DoesNotContain(CgroupDirectories(containerId), Directory.Exists);
    }

    /// <summary>Where runsc puts the sandbox's cgroup: per controller on cgroup v1, once on v2.</summary>
    public static IEnumerable<string> CgroupDirectories(string containerId) =>
        Directory.EnumerateDirectories("/sys/fs/cgroup").Select(c => Path.Combine(c, "cleanroom", containerId))
            .Append(Path.Combine("/sys/fs/cgroup", "cleanroom", containerId));

    /// <summary>Ids runsc lists under this host's root.</summary>
    public async Task<string> RunscListAsync()
    {
        var result = await new ProcessRunner(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            .RunAsync(["runsc", $"--root={RunscRoot}", "list", "--quiet"], TimeSpan.FromSeconds(30), CancellationToken.None);
        return result.EnsureSuccess().Stdout;
    }

    /// <summary>Pids of live processes whose command line mentions <paramref name="text"/> (zombies have none).</summary>
    public static IReadOnlyList<int> ProcessesMentioning(string text)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(text, StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    public async ValueTask DisposeAsync()
    {
        IProvisionedSandbox[] sandboxes;
        lock (_sandboxes)
            sandboxes = [.. _sandboxes];
        foreach (var sandbox in sandboxes)
        {
            try
            {
                await sandbox.TerminateAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (Exception e) when (e is CleanroomException or TimeoutException or IOException)
            {
            }
        }
        if (Assets.AgentDirectory.Length > 0 && Directory.Exists(RunscRoot))
        {
            try
            {
                await Backend().ReconcileAsync([], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (Exception e) when (e is CleanroomException or TimeoutException)
            {
            }
        }
        foreach (var pid in ProcessesMentioning(Root))
        {
            try { System.Diagnostics.Process.GetProcessById(pid).Kill(); } catch (Exception) { }
        }
        // Whatever a failed test left mounted or attached under the root (sandbox disks, the private sandbox root),
        // deepest first; lazily, so a process still dying cannot make the cleanup fail.
        foreach (var mountPoint in Mounts.MountPoints().Where(p => p.StartsWith(Root + "/", StringComparison.Ordinal)).Reverse())
        {
            try { Mounts.Unmount(mountPoint); } catch (IOException) { }
        }
        foreach (var loop in LoopDevicesUnderRoot())
        {
            try { LoopDevices.Detach(loop.Number); } catch (IOException) { }
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
