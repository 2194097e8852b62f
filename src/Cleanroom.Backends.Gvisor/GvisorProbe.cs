using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Decides whether gVisor really works here by doing what a sandbox does: a container with the staged
/// agent as PID 1, started with the configured platform, cgroups and overlay, and the agent's handshake
/// answered. The rootfs is an empty directory (the agent brings its own loader and libc), so the probe needs
/// no image. It then tears the container down. About a third of a second on the reference host.
/// </summary>
internal sealed class GvisorProbe(GvisorBackendOptions options, Runsc runsc, SandboxLauncher launcher, SandboxTeardown teardown)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public async Task<(BackendHealth Health, string? Version)> RunAsync(CancellationToken cancellationToken)
    {
        if (new StagedAgent(options.AgentDirectory).Problem() is { } agentProblem)
            return (BackendHealth.Unusable(agentProblem), null);

        string version;
        try
        {
            version = await runsc.VersionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CleanroomException e)
        {
            return (BackendHealth.Unusable(
                $"runsc does not run ({e.Message}); install it (apt-get install runsc) or set backends.gvisor.runsc_path"), null);
        }

        var layout = SandboxLayout.For(options.SandboxRoot, "probe-" + Guid.NewGuid().ToString("N")[..12]);
        // Beside the run directory, named like it, so a crash mid-probe leaves something reconciliation removes.
        var emptyRoot = layout.RunDirectory + ".rootfs";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        try
        {
            Directory.CreateDirectory(emptyRoot);
            var launched = await launcher.LaunchAsync(
                new LaunchRequest(layout, emptyRoot, options.Settings, 256L << 20, 1), deadline.Token).ConfigureAwait(false);
            await teardown.RunAsync(launched.Layout, launched.Agent, launched.Process).ConfigureAwait(false);
            return (BackendHealth.Ok(), version);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (BackendHealth.Unusable($"{version} did not start a sandbox within {Deadline.TotalSeconds:0} s"), version);
        }
        catch (CleanroomException e)
        {
            return (BackendHealth.Unusable(
                $"{version} cannot start a sandbox with platform '{options.Settings.Platform}': {e.Message}. "
                + "Check backends.gvisor.platform (ptrace works on every host) and that the server runs as root"), version);
        }
        finally
        {
            Directory.Delete(emptyRoot, recursive: true);
        }
    }
}
