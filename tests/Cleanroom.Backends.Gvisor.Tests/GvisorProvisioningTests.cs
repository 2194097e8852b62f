using Cleanroom.Backends.Conformance;
using System.Diagnostics;
using System.Security.Cryptography;
using Cleanroom.Backends.Gvisor.Tests.Support;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor.Tests;

/// <summary>gVisor-specific behaviour: probe, failed provisioning, limits, the shared image tree.</summary>
[Collection(GvisorCollection.Name)]
public sealed class GvisorProvisioningTests(GvisorAssets assets) : IAsyncLifetime
{
    private readonly GvisorTestHost _host = new(assets);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [GvisorFact]
    public async Task Probe_starts_a_real_sandbox_and_reports_usable_with_the_runsc_version()
    {
        var backend = _host.Backend();
        var health = await backend.ProbeAsync(CancellationToken.None);
        Assert.True(health.Usable, health.Reason);
        Assert.StartsWith("runsc version", backend.RunscVersion);
        Assert.Equal("", (await _host.RunscListAsync()).Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_host.SandboxRoot));
    }

    [GvisorFact]
    public async Task Probe_without_a_staged_agent_is_unusable_and_names_the_fix()
    {
        var health = await _host.Backend(_host.Options(Path.Combine(_host.Root, "no-agent"))).ProbeAsync(CancellationToken.None);
        Assert.False(health.Usable);
        Assert.Contains("build-agent.sh", health.Reason);
    }

    [GvisorFact]
    public async Task Probe_with_a_missing_runsc_is_unusable_and_names_the_fix()
    {
        var options = _host.Options() with { Settings = GvisorSettings.Default with { RunscPath = "/nonexistent/runsc" } };
        var health = await _host.Backend(options).ProbeAsync(CancellationToken.None);
        Assert.False(health.Usable);
        Assert.Contains("runsc_path", health.Reason);
    }

    [GvisorFact]
    public async Task Provisioning_with_a_broken_agent_fails_with_runsc_stderr_and_leaves_nothing()
    {
        var agent = CopyAgent("broken-agent");
        await File.WriteAllTextAsync(Path.Combine(agent, "cleanroom-agent"), "this is not an ELF file");
        var spec = _host.Spec();
        // A named platform: with auto, the broken agent would already fail the platform decision (backend_unavailable).
        var error = await Assert.ThrowsAsync<CleanroomException>(() => _host.Backend(_host.Options(agent, PlatformChoice.Systrap)).ProvisionAsync(spec, CancellationToken.None));
        Assert.Equal(ErrorCode.RuntimeLaunchFailed, error.Code);
        Assert.Contains("did not become ready", error.Message);
        Assert.Contains("runsc stderr", error.Message);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    [GvisorFact]
    public async Task Provisioning_fails_at_the_ready_deadline_when_the_agent_never_answers_and_leaves_nothing()
    {
        if (RepositoryPaths.FindOnPath("gcc") is null)
            return; // the agent build itself needs gcc, so where these tests run it is there
        var agent = CopyAgent("silent-agent");
        var source = Path.Combine(agent, "silent.c");
        await File.WriteAllTextAsync(source, "#include <unistd.h>\nint main(void) { for (;;) pause(); }\n");
        using (var gcc = Process.Start("gcc", ["-o", Path.Combine(agent, "cleanroom-agent"), source]))
            await gcc.WaitForExitAsync();
        var options = _host.Options(agent, PlatformChoice.Systrap) with { ReadyTimeout = TimeSpan.FromSeconds(2) };
        var spec = _host.Spec();
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<CleanroomException>(() => _host.Backend(options).ProvisionAsync(spec, CancellationToken.None));
        Assert.Equal(ErrorCode.RuntimeLaunchFailed, error.Code);
        Assert.Contains("handshake", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    [GvisorFact]
    public async Task Cancelled_provisioning_leaves_nothing()
    {
        var spec = _host.Spec();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));
        try
        {
            var sandbox = await _host.Backend().ProvisionAsync(spec, cancel.Token);
            await sandbox.TerminateAsync(CancellationToken.None); // it won the race; nothing to prove then
        }
        catch (OperationCanceledException)
        {
        }
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    [GvisorFact]
    public async Task Memory_cpu_and_pids_limits_reach_the_sandbox_cgroup()
    {
        var spec = _host.Spec(resources: new SandboxResources(Vcpus: 1, MemoryBytes: 256L << 20, DiskBytes: null));
        await _host.ProvisionAsync(_host.Backend(), spec);
        var cgroup = $"cleanroom/cleanroom-{spec.SandboxId}";
        if (Directory.Exists("/sys/fs/cgroup/memory"))
        {
            Assert.Equal((256L << 20).ToString(), File.ReadAllText($"/sys/fs/cgroup/memory/{cgroup}/memory.limit_in_bytes").Trim());
            Assert.Equal("100000", File.ReadAllText($"/sys/fs/cgroup/cpu/{cgroup}/cpu.cfs_quota_us").Trim());
            Assert.Equal(GvisorSettings.DefaultPidsLimit.ToString(), File.ReadAllText($"/sys/fs/cgroup/pids/{cgroup}/pids.max").Trim());
        }
        else
        {
            Assert.Equal((256L << 20).ToString(), File.ReadAllText($"/sys/fs/cgroup/{cgroup}/memory.max").Trim());
            Assert.Equal(GvisorSettings.DefaultPidsLimit.ToString(), File.ReadAllText($"/sys/fs/cgroup/{cgroup}/pids.max").Trim());
        }
    }

    [GvisorFact]
    public async Task The_shared_image_tree_is_never_written()
    {
        var tree = await assets.Images.MaterialiseAsync(assets.ImageRef);
        var before = Fingerprint(tree);
        var sandbox = await _host.ProvisionAsync(_host.Backend());
        var result = await ExecutionResult.RunAsync(sandbox, "sh", "-c",
            "echo x >> /etc/passwd && rm /bin/ls && chmod 777 /root && mkdir /new && echo y > /workspace/f && touch /etc/group");
        Assert.Equal(0, result.Exit.ExitCode);
        Assert.Equal(before, Fingerprint(tree));
    }

    private string CopyAgent(string name)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_host.Root, name)).FullName;
        var lib = Directory.CreateDirectory(Path.Combine(directory, "lib")).FullName;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(assets.AgentDirectory, "lib")))
            File.Copy(file, Path.Combine(lib, Path.GetFileName(file)));
        return directory;
    }

    // Names, modes, owners' view (mode), sizes, link targets and content hashes of every entry.
    private static string Fingerprint(string root)
    {
        var lines = new List<string>();
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(path);
            var detail = info.LinkTarget ?? (info.Attributes.HasFlag(FileAttributes.Directory) ? "dir"
                : Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))));
            lines.Add($"{Path.GetRelativePath(root, path)} {File.GetUnixFileMode(path)} {detail} {info.LastWriteTimeUtc.Ticks}");
        }
        return string.Join('\n', lines);
    }
}
