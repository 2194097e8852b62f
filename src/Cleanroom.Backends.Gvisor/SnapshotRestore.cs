using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Starts a new sandbox from a snapshot: <c>runsc restore</c> of the snapshot's checkpoint under the new sandbox's own
/// container id, bundle, disk (its writable layer's file is written anew from the checkpoint) and network namespace,
/// then SIGUSR1 wakes the agent, which the checkpoint holds waiting (a snapshot is taken of a suspended sandbox, whose
/// agent let go of its host sockets), and it listens again in this sandbox's channel directory. runsc matches the
/// bundle's mounts by their guest paths, so the channel, agent and network files are this sandbox's, not the
/// snapshot's origin's. runsc only reads the checkpoint, so one snapshot starts any number of sandboxes.
/// </summary>
internal sealed class SnapshotRestore(Runsc runsc, ILogger logger)
{
    private const int WakeSignal = 10; // SIGUSR1: the agent listens again

    /// <summary>
    /// Restores and wakes the agent; the caller connects. A checkpoint that is missing or that runsc cannot restore is
    /// <c>snapshot_corrupt</c>; the caller's teardown removes whatever the attempt made.
    /// </summary>
    public async Task RunAsync(SandboxLayout layout, LaunchRequest request, string checkpoint, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(checkpoint) || !Directory.EnumerateFiles(checkpoint).Any())
            throw new CleanroomException(ErrorCode.SnapshotCorrupt, $"the snapshot's checkpoint {checkpoint} is missing or empty");
        var restore = DetachedProgram.Start(
            runsc.RestoreArgv(request.Platform, layout.BundleDirectory, layout.ContainerId, layout.RunscLogPath, layout.FilestoreDirectory,
                checkpoint, request.Network?.NamespacePath, request.Settings.SandboxNetworkStack),
            layout.StderrLogPath, readinessPipe: false, logger, ErrorCode.RuntimeLaunchFailed);
        var exit = await restore.Exited.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new CleanroomException(ErrorCode.SnapshotCorrupt,
                $"runsc could not restore sandbox {layout.SandboxId} from the snapshot's checkpoint {checkpoint} (exit {exit}): {TextTail.OfFile(layout.StderrLogPath)}");
        }
        using var appearance = new ChannelSocketAppearance(layout);
        await runsc.SignalInitAsync(layout.ContainerId, WakeSignal, cancellationToken).ConfigureAwait(false);
        await appearance.WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
