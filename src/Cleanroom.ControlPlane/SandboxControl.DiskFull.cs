using Cleanroom.Backends;
using Cleanroom.ControlPlane.Store;
using Microsoft.Extensions.Logging;

namespace Cleanroom.ControlPlane;

// A full sandbox disk, reported where a user looks for why a command failed.
public sealed partial class SandboxControl
{
    /// <summary>
    /// When an execution has ended, reads the sandbox's disk (one statfs, for backends whose sandboxes are
    /// <see cref="ISandboxDisk"/>) and, if it is nearly full, records <see cref="SandboxEventTypes.DiskFull"/> naming the
    /// execution: its writes may have failed with ENOSPC. Checked at each execution's end rather than polled: that is
    /// when a user asks why it failed, and it costs nothing while the sandbox is idle. Never throws: the execution's
    /// own record is what matters here.
    /// </summary>
    private void ReportFullDisk(LiveSandbox live, string executionId)
    {
        try
        {
            if (live.Handle is not ISandboxDisk disk || disk.ReadDiskUsage() is not { IsNearlyFull: true } usage)
                return;
            _store.AppendEvent(live.Id, _time.GetUtcNow(), SandboxEventTypes.DiskFull, JsonColumns.Object(
                ("execution_id", executionId),
                ("limit_bytes", usage.LimitBytes),
                ("used_bytes", usage.UsedBytes),
                ("available_bytes", usage.AvailableBytes),
                ("message", $"the sandbox's disk is full ({usage.UsedBytes >> 20} MiB used of its {usage.LimitBytes >> 20} MiB limit) after execution "
                    + $"{executionId}: writes fail with ENOSPC (\"No space left on device\") until files are deleted; raise resources.disk in the policy for more")));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogWarning(e, "could not check the disk of sandbox {SandboxId} after execution {ExecutionId}", live.Id, executionId);
        }
    }
}
