using Microsoft.Extensions.Logging;

namespace Cleanroom.ControlPlane;

// Records that do not pile up: ended sandboxes are forgotten after the retention period.
public sealed partial class SandboxControl
{
    private ITimer? _retentionTimer;

    /// <summary>
    /// Removes the records of sandboxes that ended (STOPPED or FAILED) more than
    /// <see cref="ControlPlaneOptions.RecordRetention"/> ago, with their executions, events, workspace and retained
    /// output. Live sandboxes are never touched. Returns the ids removed.
    /// </summary>
    public IReadOnlyList<string> PruneEndedRecords() => PruneEndedRecords(_options.RecordRetention ?? TimeSpan.MaxValue);

    /// <summary>Like <see cref="PruneEndedRecords()"/> with another age (<c>system prune</c> passes zero: every ended sandbox).</summary>
    public IReadOnlyList<string> PruneEndedRecords(TimeSpan olderThan)
    {
        EnsureOpen();
        if (olderThan == TimeSpan.MaxValue)
            return [];
        var executions = _store.DeleteEndedBefore(_time.GetUtcNow() - olderThan, out var sandboxes);
        foreach (var execution in executions)
        {
            var directory = Path.GetDirectoryName(Output.OutputLogFormat.PathFor(_options.StateDirectory, execution))!;
            try
            {
                if (Directory.Exists(directory))
                    Directory.Delete(directory, recursive: true);
            }
            catch (IOException e)
            {
                _logger.LogWarning(e, "removing the retained output of execution {ExecutionId} failed", execution);
            }
        }
        if (sandboxes.Count > 0)
            _logger.LogInformation("records: removed {Count} sandboxes that ended more than {Age} ago", sandboxes.Count, olderThan);
        return sandboxes;
    }

    /// <summary>Prunes now and then every hour, while the control plane is open.</summary>
    private void StartRetention()
    {
        if (_options.RecordRetention is null)
            return;
        _retentionTimer = _time.CreateTimer(_ =>
        {
            try
            {
                if (Volatile.Read(ref _disposed) == 0)
                    PruneEndedRecords();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogWarning(e, "pruning ended sandboxes' records failed; the next hour tries again");
            }
        }, null, TimeSpan.Zero, TimeSpan.FromHours(1));
    }
}
