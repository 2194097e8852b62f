using Cleanroom.Backends;
using Cleanroom.ControlPlane.Store;
using Microsoft.Extensions.Logging;

namespace Cleanroom.ControlPlane;

/// <summary>
/// Brings the store back in line with reality when the server starts, before it takes requests. Sandboxes
/// outlive their server (a backend re-adopts those whose processes and agent answer); executions do not, so:
/// QUEUED/RUNNING executions become FAILED; PROVISIONING sandboxes FAILED; STOPPING sandboxes STOPPED;
/// READY sandboxes stay READY only if their backend re-adopts them, else FAILED; SUSPENDED sandboxes stay SUSPENDED
/// only if their backend kept their checkpoints (their next use wakes them), else FAILED. Each backend also removes
/// leftovers of sandboxes the server no longer runs. Every outcome is written as an event.
/// </summary>
internal sealed class RestartReconciliation(ControlPlaneStore store, BackendRegistry backends, ControlPlaneOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>
    /// Said of every execution that was running when its server died, in a sandbox that survived or not: a
    /// sandbox's agent stops the commands of a host that went away (TERM, then KILL after a second), and a lost
    /// sandbox took them with it. Background processes the workload started are not touched.
    /// </summary>
    public const string ExecutionInterruptedMessage = "interrupted: the server stopped while the execution was running; its process was stopped";
    public const string SandboxLostMessage = "sandbox was lost when the server restarted; its resources were removed";

    /// <summary>A sandbox taken back: <see cref="Handle"/> when it runs (READY), else <see cref="Suspended"/> (SUSPENDED).</summary>
    public sealed record Readopted(Sandbox Sandbox, ISandboxBackend Backend, IProvisionedSandbox? Handle, ISuspendedSandbox? Suspended = null);

    public async Task<(ReconciliationReport Report, IReadOnlyList<Readopted> Readopted)> RunAsync(CancellationToken cancellationToken)
    {
        var interrupted = FailInterruptedExecutions();

        var provisioning = store.ListSandboxes([SandboxStatus.Provisioning]);
        var stopping = store.ListSandboxes([SandboxStatus.Stopping]);
        var ready = store.ListSandboxes([SandboxStatus.Ready]);
        var suspended = store.ListSandboxes([SandboxStatus.Suspended]);

        // Ask every backend, even those with nothing READY: leftovers of PROVISIONING/STOPPING sandboxes
        // and of sandboxes from before the store was lost must be removed too.
        var handles = new Dictionary<string, Readopted>(StringComparer.Ordinal);
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        var removed = new List<string>();
        foreach (var backend in backends.All)
        {
            var expected = ready.Concat(suspended).Where(s => s.Backend == backend.Name).ToArray();
            var problem = await ReconcileBackendAsync(backend, expected, handles, removed, cancellationToken).ConfigureAwait(false);
            if (problem is not null)
                problems[backend.Name] = problem;
        }

        string? CleanupProblem(Sandbox sandbox) => sandbox.Backend switch
        {
            null => null, // never reached a backend, so it made nothing
            var name when backends.Find(name) is null => $"backend '{name}' is not registered on this server",
            var name => problems.GetValueOrDefault(name),
        };

        var now = time.GetUtcNow();
        foreach (var sandbox in provisioning)
        {
            var problem = CleanupProblem(sandbox);
            var message = "server restarted while the sandbox was being provisioned; " +
                (problem is null ? "its resources were removed" : $"its resources may remain ({problem})");
            Record(sandbox, SandboxStatus.Failed, ReconcileOutcomes.ProvisioningInterrupted, message, now);
        }

        var completedStops = new List<string>();
        foreach (var sandbox in stopping)
        {
            var problem = CleanupProblem(sandbox);
            if (problem is null)
            {
                Record(sandbox, SandboxStatus.Stopped, ReconcileOutcomes.StopCompleted, "termination completed after the server restarted", now);
                completedStops.Add(sandbox.Id);
            }
            else
            {
                Record(sandbox, SandboxStatus.Failed, ReconcileOutcomes.Lost, $"server restarted while the sandbox was stopping; its resources may remain ({problem})", now);
            }
        }

        var readopted = new List<Readopted>();
        var lost = new List<string>();
        foreach (var sandbox in ready)
        {
            if (handles.TryGetValue(sandbox.Id, out var handle))
            {
                store.AppendEvent(sandbox.Id, now, SandboxEventTypes.Reconciled, JsonColumns.Object(
                    ("outcome", ReconcileOutcomes.Readopted), ("message", "the sandbox was re-adopted after the server restarted")));
                readopted.Add(handle);
                continue;
            }
            var problem = CleanupProblem(sandbox);
            var message = problem is null ? SandboxLostMessage : $"sandbox was lost when the server restarted; its resources may remain ({problem})";
            Record(sandbox, SandboxStatus.Failed, ReconcileOutcomes.Lost, message, now);
            lost.Add(sandbox.Id);
        }

        foreach (var sandbox in suspended)
        {
            if (handles.TryGetValue(sandbox.Id, out var kept))
            {
                store.AppendEvent(sandbox.Id, now, SandboxEventTypes.Reconciled, JsonColumns.Object(
                    ("outcome", ReconcileOutcomes.Readopted), ("message", "the suspended sandbox was kept after the server restarted; its next use wakes it")));
                readopted.Add(kept);
                continue;
            }
            var problem = CleanupProblem(sandbox);
            Record(sandbox, SandboxStatus.Failed, ReconcileOutcomes.Lost,
                "server restarted while the sandbox was suspended and its checkpoint could not be kept; its resources were removed"
                + (problem is null ? "" : $" or may remain ({problem})"), now);
            lost.Add(sandbox.Id);
        }

        var report = new ReconciliationReport(
            interrupted, readopted.Select(r => r.Sandbox.Id).ToArray(), lost,
            provisioning.Select(s => s.Id).ToArray(), completedStops, removed);
        if (interrupted.Count + readopted.Count + lost.Count + provisioning.Count + stopping.Count + removed.Count > 0)
        {
            logger.LogWarning(
                "restart reconciliation: {Interrupted} executions interrupted, {Readopted} sandboxes re-adopted, {Lost} lost, {Provisioning} provisioning interrupted, {Stopped} stops completed, {Removed} leftovers removed",
                interrupted.Count, readopted.Count, lost.Count, provisioning.Count, completedStops.Count, removed.Count);
        }
        return (report, readopted);
    }

    private List<string> FailInterruptedExecutions()
    {
        var now = time.GetUtcNow();
        var interrupted = new List<string>();
        foreach (var status in new[] { ExecutionStatus.Queued, ExecutionStatus.Running })
        {
            foreach (var execution in store.ListExecutions(status))
            {
                // Byte counts are unknown (they lived in memory); the retained output itself is still on disk.
                store.FinishExecution(execution.Id, new ExecutionEnding(ExecutionStatus.Failed, null, null, ExecutionInterruptedMessage, now, null, null));
                interrupted.Add(execution.Id);
            }
        }
        return interrupted;
    }

    /// <summary>Runs one backend's reconcile; returns why it could not clean up, or null when it did.</summary>
    private async Task<string?> ReconcileBackendAsync(
        ISandboxBackend backend, IReadOnlyList<Sandbox> expected, Dictionary<string, Readopted> handles, List<string> removed, CancellationToken cancellationToken)
    {
        var health = await backends.ProbeAsync(backend, cancellationToken).ConfigureAwait(false);
        if (!health.Usable)
            return $"backend '{backend.Name}' is not usable: {health.Reason}";

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.ReconcileTimeout);
        BackendReconciliation result;
        try
        {
            result = await backend.ReconcileAsync(
                expected.Select(s => SandboxSpecs.For(s) with { Suspended = s.Status == SandboxStatus.Suspended }).ToArray(), deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogError(ex, "backend {Backend} failed to reconcile after restart", backend.Name);
            return $"backend '{backend.Name}' failed to reconcile: {ex.Message}";
        }

        var byId = expected.ToDictionary(s => s.Id, StringComparer.Ordinal);
        foreach (var handle in result.Readopted)
        {
            if (byId.TryGetValue(handle.SandboxId, out var sandbox) && sandbox.Status == SandboxStatus.Ready)
                handles[sandbox.Id] = new Readopted(sandbox, backend, handle);
            else
                logger.LogWarning("backend {Backend} re-adopted {SandboxId}, which the store did not expect; ignoring it", backend.Name, handle.SandboxId);
        }
        foreach (var kept in result.KeptSuspended)
        {
            if (byId.TryGetValue(kept.SandboxId, out var sandbox) && sandbox.Status == SandboxStatus.Suspended)
                handles[sandbox.Id] = new Readopted(sandbox, backend, null, kept);
            else
                logger.LogWarning("backend {Backend} kept suspended {SandboxId}, which the store did not expect suspended; ignoring it", backend.Name, kept.SandboxId);
        }
        removed.AddRange(result.RemovedLeftovers);
        return null;
    }

    private void Record(Sandbox sandbox, SandboxStatus to, string outcome, string message, DateTimeOffset now)
    {
        store.AppendEvent(sandbox.Id, now, SandboxEventTypes.Reconciled, JsonColumns.Object(("outcome", outcome), ("message", message)));
        store.TransitionSandbox(sandbox.Id, to, now, failureCode: null, message: message);
    }
}
