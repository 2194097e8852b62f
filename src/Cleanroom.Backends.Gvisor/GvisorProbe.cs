using Cleanroom.Backends.Gvisor.Disk;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Decides whether gVisor really works here by doing what a sandbox does: a container with the staged
/// agent as PID 1, started with a given platform, cgroups, overlay and size-limited disk, and the agent's handshake answered.
/// The rootfs is an empty directory (the agent brings its own loader and libc), so the probe needs no image.
/// It then tears the container down. About a quarter of a second on the reference host.
/// </summary>
internal sealed class GvisorProbe(GvisorBackendOptions options, Runsc runsc, SandboxLauncher launcher, SandboxTeardown teardown)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>What must hold before any platform is tried: the staged agent, and a runsc that prints its version.</summary>
    public async Task<(string? Problem, string? Version)> CheckPrerequisitesAsync(CancellationToken cancellationToken)
    {
        if (new StagedAgent(options.AgentDirectory).Problem() is { } agentProblem)
            return (agentProblem, null);
        try
        {
            return (null, await runsc.VersionAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (CleanroomException e)
        {
            return ($"runsc does not run ({e.Message}); run scripts/setup.sh (it installs runsc from bookworm-backports) "
                + "or set backends.gvisor.runsc_path", null);
        }
    }

    /// <summary>Starts and removes one probe sandbox under <paramref name="platform"/>: null when it answered, else why not.</summary>
    public async Task<string?> TryPlatformAsync(string platform, CancellationToken cancellationToken)
    {
        var layout = SandboxLayout.For(options.SandboxRoot, "probe-" + Guid.NewGuid().ToString("N")[..12]);
        // Beside the run directory, named like it, so a crash mid-probe leaves something reconciliation removes.
        var emptyRoot = layout.RunDirectory + ".rootfs";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        try
        {
            Directory.CreateDirectory(emptyRoot);
            // The smallest disk, made like every sandbox's, so a host that cannot limit disks is told so here.
            var disk = DiskLimit.ForRoot(DiskLimit.MinimumBytes, options.Settings.DefaultDiskBytes, options.SandboxRoot);
            var launched = await launcher.LaunchAsync(
                new LaunchRequest(layout, emptyRoot, options.Settings, platform, 256L << 20, 1, disk.Bytes), deadline.Token).ConfigureAwait(false);
            await teardown.RunAsync(launched.Layout, launched.Agent).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no sandbox answered within {Deadline.TotalSeconds:0} s";
        }
        catch (CleanroomException e)
        {
            return e.Message;
        }
        finally
        {
            Directory.Delete(emptyRoot, recursive: true);
        }
    }
}
