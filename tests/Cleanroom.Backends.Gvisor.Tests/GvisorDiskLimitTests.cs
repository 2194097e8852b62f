using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Gvisor.Disk;
using Cleanroom.Backends.Gvisor.Interop;
using Cleanroom.Backends.Gvisor.Tests.Support;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Backends.Gvisor.Tests;

/// <summary>
/// Disk limits with real runsc and real loop devices. The sandbox root sits on a tmpfs of its own, so the host's
/// file system in these tests is one nothing else writes to: its growth is exactly what the sandbox caused, and its
/// free space is what the test chose.
/// </summary>
[Collection(GvisorCollection.Name)]
public sealed class GvisorDiskLimitTests(GvisorAssets assets) : IAsyncLifetime
{
    private const long MiB = 1L << 20, GiB = 1L << 30;
    private const long Limit = 256 * MiB;

    private readonly GvisorTestHost _host = new(assets);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [GvisorFact]
    public async Task Writing_past_the_limit_fails_with_ENOSPC_inside_the_host_grows_by_at_most_the_limit_and_the_sandbox_works_after_the_file_is_deleted()
    {
        // 2 GiB, of which 1 GiB is the host's reserve: a 256 MiB disk fits.
        await _host.MountPrivateSandboxRootAsync(2 * GiB);
        var spec = _host.Spec(resources: new SandboxResources(null, null, Limit));
        var sandbox = (GvisorSandbox)await _host.ProvisionAsync(_host.Backend(), spec);
        var before = HostUsedBytes(sandbox);

        var write = await ExecutionResult.RunAsync(sandbox, "sh", "-c",
            "dd if=/dev/zero of=/workspace/big bs=1M count=512; echo \"dd exit $?\"; wc -c < /workspace/big");
        Assert.Contains("No space left on device", write.Stderr);
        Assert.Contains("dd exit 1", write.Stdout);
        var written = long.Parse(write.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Trim());
        // It wrote until the disk was full: the limit stopped it, not something else.
        Assert.InRange(written, Limit - 16 * MiB, Limit);
        var grown = HostUsedBytes(sandbox) - before;
        Assert.InRange(grown, written - 16 * MiB, Limit);
        var full = sandbox.ReadDiskUsage()!;
        Assert.True(full.IsNearlyFull, $"{full}");
        Assert.Equal(Limit, full.LimitBytes);

        var after = await ExecutionResult.RunAsync(sandbox, "sh", "-c",
            "rm /workspace/big && dd if=/dev/zero of=/workspace/next bs=1M count=100 && echo still works");
        Assert.True(after.Exit.ExitCode == 0, after.Stderr);
        Assert.Contains("still works", after.Stdout);
        Assert.False(sandbox.ReadDiskUsage()!.IsNearlyFull);
        // What the sandbox deleted went back to the host (runsc punches holes; discard passes them to the image).
        Assert.InRange(HostUsedBytes(sandbox) - before, 0, 150 * MiB);

        await sandbox.TerminateAsync(CancellationToken.None);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    [GvisorFact]
    public async Task A_program_written_in_the_sandbox_runs_from_its_disk()
    {
        // The sentry maps such a program from runsc's file on the sandbox's disk; a noexec mount there made every one
        // die with SIGSEGV at its first instruction.
        var sandbox = await _host.ProvisionAsync(_host.Backend(), _host.Spec(resources: new SandboxResources(null, null, Limit)));
        var run = await ExecutionResult.RunAsync(sandbox, "sh", "-c", "mkdir -p /workspace/bin && cp /bin/busybox /workspace/bin/busybox && /workspace/bin/busybox echo ran from the disk");
        Assert.True(run.Exit.ExitCode == 0, $"{run.Exit}: {run.Stderr}");
        Assert.Equal("ran from the disk\n", run.Stdout);
    }

    [GvisorFact]
    public async Task Storing_through_a_shared_mapping_past_the_limit_is_SIGBUS_for_that_process_only_and_the_sandbox_lives_on()
    {
        // The risky path: pages of a mapped file are the sentry's to allocate when the workload touches them. Linux
        // answers a full tmpfs with SIGBUS to the process; the sentry must do the same and not die itself.
        if (RepositoryPaths.FindOnPath("gcc") is null)
            return; // the agent build itself needs gcc, so where these tests run it is there
        var program = Path.Combine(_host.Root, "mapwrite");
        await File.WriteAllTextAsync(program + ".c", """
            #include <fcntl.h>
            #include <stdlib.h>
            #include <sys/mman.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
                size_t size = (size_t)atol(argv[2]) << 20;
                int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
                if (fd < 0 || ftruncate(fd, size) != 0) return 2;
                char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                if (p == MAP_FAILED) return 3;
                for (size_t i = 0; i < size; i += 4096) p[i] = 1;
                return 0;
            }
            """);
        using (var gcc = System.Diagnostics.Process.Start("gcc", ["-static", "-O2", "-o", program, program + ".c"]))
        {
            await gcc.WaitForExitAsync();
            Assert.Equal(0, gcc.ExitCode);
        }
        var sandbox = (GvisorSandbox)await _host.ProvisionAsync(_host.Backend(), _host.Spec(resources: new SandboxResources(null, null, Limit)));
        var archive = new MemoryStream();
        await using (var writer = new System.Formats.Tar.TarWriter(archive, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "mapwrite")
                { Mode = (UnixFileMode)0x1ed, DataStream = File.OpenRead(program) });
        }
        archive.Position = 0;
        await sandbox.WriteArchiveAsync("/opt", archive, CancellationToken.None);

        var mapped = await ExecutionResult.RunAsync(sandbox, "/opt/mapwrite", "/workspace/mapped", "512");
        Assert.True(mapped.Exit == ExitStatus.KilledBy(7), $"{mapped.Exit}: {mapped.Stderr}"); // SIGBUS

        var after = await ExecutionResult.RunAsync(sandbox, "sh", "-c", "rm /workspace/mapped && /opt/mapwrite /workspace/small 64 && echo still works");
        Assert.True(after.Exit.ExitCode == 0, after.Stderr);
        Assert.Contains("still works", after.Stdout);
    }

    [GvisorFact]
    public async Task A_default_disk_larger_than_the_host_can_spare_is_capped_to_what_it_can()
    {
        await _host.MountPrivateSandboxRootAsync(2 * GiB);
        var sandbox = (GvisorSandbox)await _host.ProvisionAsync(_host.Backend());
        var usage = sandbox.ReadDiskUsage()!;
        // The default is 10 GiB; 2 GiB less the 1 GiB reserve is all this host can spare.
        Assert.InRange(usage.LimitBytes, 1 * GiB - 32 * MiB, 1 * GiB);
        // ext4 keeps 2% of the blocks, at most 16 MiB, for its own metadata; the rest is the sandbox's.
        Assert.InRange(usage.AvailableBytes, usage.LimitBytes - 17 * MiB, usage.LimitBytes);
    }

    [GvisorFact]
    public async Task A_host_that_cannot_spare_a_disk_refuses_the_sandbox_with_disk_limit_unavailable_and_leaves_nothing()
    {
        await _host.MountPrivateSandboxRootAsync(1 * GiB); // all of it is the host's reserve
        var spec = _host.Spec();
        var error = await Assert.ThrowsAsync<CleanroomException>(() => _host.Backend().ProvisionAsync(spec, CancellationToken.None));
        Assert.Equal(ErrorCode.DiskLimitUnavailable, error.Code);
        Assert.Contains(_host.SandboxRoot, error.Message);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    [GvisorFact]
    public async Task A_policy_disk_under_the_minimum_is_refused_before_anything_is_made()
    {
        var spec = _host.Spec(resources: new SandboxResources(null, null, 1 * MiB));
        var error = await Assert.ThrowsAsync<CleanroomException>(() => _host.Backend().ProvisionAsync(spec, CancellationToken.None));
        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        await _host.AssertNothingRemainsAsync(spec.SandboxId);
    }

    [GvisorFact]
    public async Task Reconciliation_unmounts_and_detaches_the_disks_a_crashed_server_left()
    {
        // What a server killed with sandboxes running leaves of their disks: one still mounted in its run directory,
        // and a loop device still attached to an image whose run directory is gone (attached without autoclear).
        var mounted = SandboxLayout.For(_host.SandboxRoot, GvisorTestHost.NewSandboxId());
        Directory.CreateDirectory(mounted.RunDirectory);
        await new FilestoreDisk(new ProcessRunner(NullLogger.Instance), TimeSpan.FromSeconds(30), NullLogger.Instance)
            .CreateAsync(mounted, 64 * MiB, CancellationToken.None);
        var orphan = SandboxLayout.For(_host.SandboxRoot, GvisorTestHost.NewSandboxId());
        Directory.CreateDirectory(orphan.RunDirectory);
        using (var image = File.Create(orphan.DiskImagePath))
            image.SetLength(64 * MiB);
        var losetup = await new ProcessRunner(NullLogger.Instance).RunAsync(["losetup", "--find", "--show", orphan.DiskImagePath], TimeSpan.FromSeconds(30), CancellationToken.None);
        losetup.EnsureSuccess();
        Directory.Delete(orphan.RunDirectory, recursive: true);
        Assert.True(Mounts.IsMountPoint(mounted.FilestoreDirectory));
        Assert.Equal(2, _host.LoopDevicesUnderRoot().Count);

        var result = await _host.Backend().ReconcileAsync([], CancellationToken.None);

        Assert.Contains(mounted.SandboxId, result.RemovedLeftovers);
        Assert.Contains(orphan.SandboxId, result.RemovedLeftovers);
        Assert.Empty(_host.MountsUnderRoot());
        Assert.Empty(_host.LoopDevicesUnderRoot());
        Assert.False(Directory.Exists(mounted.RunDirectory));
    }

    [GvisorFact]
    public async Task The_leftover_sweep_keeps_the_disks_of_sandboxes_it_is_told_to_keep()
    {
        var kept = SandboxLayout.For(_host.SandboxRoot, GvisorTestHost.NewSandboxId());
        var dropped = SandboxLayout.For(_host.SandboxRoot, GvisorTestHost.NewSandboxId());
        var disks = new FilestoreDisk(new ProcessRunner(NullLogger.Instance), TimeSpan.FromSeconds(30), NullLogger.Instance);
        foreach (var layout in new[] { kept, dropped })
        {
            Directory.CreateDirectory(layout.RunDirectory);
            await disks.CreateAsync(layout, 64 * MiB, CancellationToken.None);
        }

        var removed = DiskLeftovers.Remove(_host.SandboxRoot, new HashSet<string> { kept.SandboxId }, NullLogger.Instance);

        Assert.Equal([dropped.SandboxId], removed);
        Assert.True(Mounts.IsMountPoint(kept.FilestoreDirectory));
        Assert.False(Mounts.IsMountPoint(dropped.FilestoreDirectory));
        Assert.Equal([kept.DiskImagePath], _host.LoopDevicesUnderRoot().Select(l => l.BackingFile));
        FilestoreDisk.Remove(kept, NullLogger.Instance);
        Assert.Empty(_host.MountsUnderRoot());
        Assert.Empty(_host.LoopDevicesUnderRoot());
    }

    [GvisorFact]
    public async Task Disks_under_a_sandbox_root_reached_through_a_symlink_are_still_removed()
    {
        // The kernel reports mount points and backing files with symlinks resolved; the configured root may have one.
        Directory.CreateDirectory(_host.SandboxRoot);
        var linked = Path.Combine(_host.Root, "linked-sbx");
        Directory.CreateSymbolicLink(linked, _host.SandboxRoot);
        var disks = new FilestoreDisk(new ProcessRunner(NullLogger.Instance), TimeSpan.FromSeconds(30), NullLogger.Instance);
        var terminated = SandboxLayout.For(linked, GvisorTestHost.NewSandboxId());
        var crashed = SandboxLayout.For(linked, GvisorTestHost.NewSandboxId());
        foreach (var layout in new[] { terminated, crashed })
        {
            Directory.CreateDirectory(layout.RunDirectory);
            await disks.CreateAsync(layout, 64 * MiB, CancellationToken.None);
        }
        Assert.Equal(2, _host.MountsUnderRoot().Count);

        FilestoreDisk.Remove(terminated, NullLogger.Instance);
        Assert.Equal([crashed.SandboxId], DiskLeftovers.Remove(linked, new HashSet<string>(), NullLogger.Instance));

        Assert.Empty(_host.MountsUnderRoot());
        Assert.Empty(_host.LoopDevicesUnderRoot());
    }

    [GvisorFact]
    public void A_loop_device_whose_disk_was_never_mounted_detaches_itself_when_its_handle_closes()
    {
        // What makes a crash between attach and mount leave no device: autoclear, with our descriptor the last user.
        Directory.CreateDirectory(_host.Root);
        var image = Path.Combine(_host.Root, "never-mounted.img");
        using (var file = File.Create(image))
            file.SetLength(16 * MiB);
        using (var loop = LoopDevices.Attach(image))
        {
            Assert.Equal([image], _host.LoopDevicesUnderRoot().Select(l => l.BackingFile));
            Assert.Equal("1", File.ReadAllText($"/sys/block/loop{loop.Number}/loop/autoclear").Trim());
        }
        Assert.Empty(_host.LoopDevicesUnderRoot());
    }

    /// <summary>What the host's (the private sandbox root's) file system holds once the sandbox's disk is written back.</summary>
    private static long HostUsedBytes(GvisorSandbox sandbox)
    {
        // Written back first: pages the sandbox dirtied reach the image only at writeback, and the bound must hold after.
        Sync(sandbox.Layout.FilestoreDirectory);
        return FileSystemSpace.Of(Path.GetDirectoryName(sandbox.Layout.RunDirectory)!).UsedBytes;
    }

    private static void Sync(string path)
    {
        using var sync = System.Diagnostics.Process.Start("sync", ["-f", path]);
        sync.WaitForExit();
    }
}
