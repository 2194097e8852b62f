using Cleanroom.Backends.Conformance;
using System.Diagnostics;
using Cleanroom.Backends.Gvisor.Tests.Support;

namespace Cleanroom.Backends.Gvisor.Tests;

/// <summary>What a new server finds after the old one died without terminating its sandboxes.</summary>
[Collection(GvisorCollection.Name)]
public sealed class GvisorReconcileTests(GvisorAssets assets) : IAsyncLifetime
{
    private readonly GvisorTestHost _host = new(assets);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [GvisorFact]
    public async Task A_new_server_re_adopts_a_running_sandbox_with_its_files_and_background_processes_and_stops_what_was_executing()
    {
        var spec = _host.Spec();
        var sandbox = (GvisorSandbox)await _host.Backend().ProvisionAsync(spec, CancellationToken.None);
        await ExecutionResult.RunAsync(sandbox, "sh", "-c", "echo kept > /tmp/file && head -c 8388608 /dev/zero > /root/on-disk && (sleep 600 > /dev/null 2>&1 & echo $! > /tmp/background.pid)");
        using var started = new CancellationTokenSource(ExecutionResult.DefaultTimeout);
        var running = await sandbox.StartExecutionAsync(new ExecutionSpec { Argv = ["sh", "-c", "echo $$ > /tmp/running.pid; echo started; exec sleep 600"] }, started.Token);
        await running.Output.ReadAsync(started.Token); // "started": the command runs

        // What the server's death does to the sandbox: its connection to the agent closes, nothing else.
        await sandbox.Agent.DisposeAsync();

        var reconciliation = await _host.Backend().ReconcileAsync([spec], CancellationToken.None);
        var adopted = Assert.Single(reconciliation.Readopted);

        Assert.Empty(reconciliation.RemovedLeftovers);
        Assert.Equal("kept\n", (await ExecutionResult.RunAsync(adopted, "cat", "/tmp/file")).Stdout);
        Assert.Equal("8388608\n", (await ExecutionResult.RunAsync(adopted, "sh", "-c", "wc -c < /root/on-disk")).Stdout);
        Assert.True(((ISandboxDisk)adopted).ReadDiskUsage() is { UsedBytes: >= 8L << 20 }, "the re-adopted sandbox keeps its disk, with the file's bytes on it");
        Assert.Equal(0, (await ExecutionResult.RunAsync(adopted, "sh", "-c", "kill -0 $(cat /tmp/background.pid)")).Exit.ExitCode);
        var stopped = await ExecutionResult.RunAsync(adopted, "sh", "-c", "kill -0 $(cat /tmp/running.pid)");
        Assert.NotEqual(0, stopped.Exit.ExitCode); // the agent stopped the command whose host went away

        await adopted.TerminateAsync(CancellationToken.None);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    [GvisorFact]
    public async Task The_agent_channel_is_out_of_reach_of_an_unprivileged_user_in_the_sandbox()
    {
        var sandbox = await _host.Backend().ProvisionAsync(_host.Spec(), CancellationToken.None);
        var asNobody = await ExecutionResult.RunAsync(sandbox, new ExecutionSpec { Argv = ["ls", "/.cleanroom-channel"], User = "nobody" });
        Assert.NotEqual(0, asNobody.Exit.ExitCode);
        Assert.Contains("Permission denied", asNobody.Stderr);
        await sandbox.TerminateAsync(CancellationToken.None);
    }

    [GvisorFact]
    public async Task An_expected_sandbox_whose_container_is_gone_is_not_re_adopted_and_its_remains_are_removed()
    {
        var spec = _host.Spec();
        var sandbox = (GvisorSandbox)await _host.Backend().ProvisionAsync(spec, CancellationToken.None);
        await sandbox.Agent.DisposeAsync();
        using (var kill = Process.Start("runsc", [$"--root={_host.RunscRoot}", "kill", "--all", sandbox.Layout.ContainerId, "KILL"]))
            await kill.WaitForExitAsync();

        var reconciliation = await _host.Backend().ReconcileAsync([spec], CancellationToken.None);

        Assert.Empty(reconciliation.Readopted);
        Assert.Equal([spec.SandboxId], reconciliation.RemovedLeftovers);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    [GvisorFact]
    public async Task Reconcile_removes_running_containers_and_run_directories_a_dead_server_left()
    {
        // One sandbox made through a backend that is then dropped without terminating, and one container
        // started detached by hand, as a crash between runsc create and the handshake would leave it.
        var spec = _host.Spec();
        await _host.Backend().ProvisionAsync(spec, CancellationToken.None);
        var strangerId = GvisorTestHost.NewSandboxId();
        await StartDetachedAsync("cleanroom-" + strangerId);

        var reconciliation = await _host.Backend().ReconcileAsync([], CancellationToken.None);

        Assert.Empty(reconciliation.Readopted);
        Assert.Equal(new[] { spec.SandboxId, strangerId }.Order(StringComparer.Ordinal), reconciliation.RemovedLeftovers);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
        await _host.AssertNothingRemainsAsync(strangerId);
        Assert.Empty((await _host.Backend().ReconcileAsync([], CancellationToken.None)).RemovedLeftovers);
    }

    [GvisorFact]
    public async Task Reconcile_leaves_a_container_that_is_not_named_as_ours_alone()
    {
        const string foreign = "someone-else";
        await StartDetachedAsync(foreign);
        try
        {
            var reconciliation = await _host.Backend().ReconcileAsync([], CancellationToken.None);
            Assert.Empty(reconciliation.RemovedLeftovers);
            Assert.Contains(foreign, await _host.RunscListAsync());
        }
        finally
        {
            using var delete = Process.Start("runsc", [$"--root={_host.RunscRoot}", "delete", "--force", foreign]);
            await delete.WaitForExitAsync();
        }
    }

    /// <summary>A busybox container running sleep under the test's runsc root, with its run directory where ours go.</summary>
    private async Task StartDetachedAsync(string containerId)
    {
        var bundle = Directory.CreateDirectory(Path.Combine(_host.SandboxRoot, containerId, "bundle")).FullName;
        OciBundle.Write(Path.Combine(bundle, "config.json"), new OciBundleSpec(
            RootfsPath: await assets.Images.MaterialiseAsync(assets.ImageRef),
            Argv: ["/bin/sleep", "600"],
            AgentHostDirectory: assets.AgentDirectory,
            ChannelHostDirectory: Directory.CreateDirectory(Path.Combine(_host.SandboxRoot, containerId, "channel")).FullName,
            Hostname: "stray",
            CgroupsPath: "/cleanroom/" + containerId,
            MemoryBytes: 256L << 20,
            Vcpus: null,
            PidsLimit: 64));
        // Not redirected: a detached sandbox keeps runsc's stdio open for ever, so nothing could read to its end.
        using var run = Process.Start("runsc",
            [$"--root={_host.RunscRoot}", "--network=none", "--overlay2=root:memory", $"--log={Path.Combine(bundle, "runsc.log")}", "run", "--detach", "--bundle", bundle, containerId]);
        await run.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(containerId, await _host.RunscListAsync());
    }
}
