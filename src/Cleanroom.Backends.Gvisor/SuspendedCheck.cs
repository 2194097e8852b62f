using Cleanroom.Backends.Gvisor.Disk;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Whether a sandbox recorded SUSPENDED is still whole on the host after a server restart: no container of it runs
/// (a suspended sandbox has none), its restore recipe reads, its checkpoint directory holds files, and its disk, if it
/// has one, is still mounted (a restore into the bare directory would write past the sandbox's disk limit). Whether
/// the checkpoint's bytes are good only a restore can tell; a bad one fails the wake with <c>wake_failed</c>.
/// </summary>
internal static class SuspendedCheck
{
    /// <summary>Why the suspended sandbox cannot be kept, or null when it can.</summary>
    public static string? Problem(SandboxLayout layout, IReadOnlySet<string> runningContainers)
    {
        if (runningContainers.Contains(layout.ContainerId))
            return "runsc lists its container as running, which a suspended sandbox never is";
        if (!Directory.Exists(layout.RunDirectory))
            return $"its run directory {layout.RunDirectory} is gone";
        try
        {
            RestoreRecipe.Read(layout.RestoreRecipePath, ErrorCode.WakeFailed);
        }
        catch (CleanroomException e)
        {
            return e.Message;
        }
        if (!Directory.Exists(layout.CheckpointDirectory) || !Directory.EnumerateFiles(layout.CheckpointDirectory).Any())
            return $"its checkpoint directory {layout.CheckpointDirectory} is missing or empty";
        if (File.Exists(layout.DiskImagePath) && FilestoreDisk.Usage(layout) is null)
            return $"its disk {layout.DiskImagePath} is no longer mounted at {layout.FilestoreDirectory}";
        return null;
    }
}
