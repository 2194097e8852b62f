using System.Collections.Concurrent;

namespace Cleanroom.ControlPlane.Store;

/// <summary>
/// The durable record of sandboxes, executions and events, in domain terms. Each status change is
/// checked against <see cref="LifecycleTransitions"/> and written together with its event in one
/// transaction, so the event stream and the records never disagree. After each commit the sandbox's
/// <see cref="ChangeSignal"/> is pulsed to wake event followers.
/// </summary>
internal sealed class ControlPlaneStore : IDisposable
{
    private readonly StateDatabase _database;
    private readonly ConcurrentDictionary<string, ChangeSignal> _eventSignals = new(StringComparer.Ordinal);

    private ControlPlaneStore(StateDatabase database) => _database = database;

    public static ControlPlaneStore Open(string stateDirectory) => new(StateDatabase.Open(stateDirectory));

    public void InsertSandbox(Sandbox sandbox)
    {
        _database.Write((c, tx) =>
        {
            SandboxRows.Insert(c, tx, sandbox);
            return EventRows.Append(c, tx, sandbox.Id, sandbox.CreatedAt, SandboxEventTypes.SandboxStatus,
                JsonColumns.Object(("status", StatusNames.Of(sandbox.Status))));
        });
        Pulse(sandbox.Id);
    }

    public void SetBackend(string sandboxId, string backend, DateTimeOffset now) =>
        _database.Write((c, tx) => { SandboxRows.SetBackend(c, tx, sandboxId, backend, now); return 0; });

    /// <summary>
    /// Moves a sandbox to <paramref name="to"/>; throws InvalidOperationException when the table forbids it.
    /// <paramref name="message"/> goes into the status event, and for FAILED also into the record with <paramref name="failureCode"/>.
    /// </summary>
    public Sandbox TransitionSandbox(string sandboxId, SandboxStatus to, DateTimeOffset now, string? failureCode = null, string? message = null)
    {
        var updated = _database.Write((c, tx) =>
        {
            var current = SandboxRows.Get(c, tx, sandboxId) ?? throw new InvalidOperationException($"sandbox {sandboxId} is not in the store");
            LifecycleTransitions.EnsureAllowed(current.Status, to);
            // Only FAILED keeps the code and message on the record; other changes carry their message in the event.
            var failed = to == SandboxStatus.Failed;
            SandboxRows.UpdateStatus(c, tx, sandboxId, to, now, failed ? failureCode : null, failed ? message : null);
            EventRows.Append(c, tx, sandboxId, now, SandboxEventTypes.SandboxStatus, JsonColumns.Object(
                ("status", StatusNames.Of(to)), ("previous", StatusNames.Of(current.Status)), ("message", message), ("code", failureCode)));
            return current with { Status = to, UpdatedAt = now, FailureCode = failed ? failureCode : null, FailureMessage = failed ? message : null };
        });
        Pulse(sandboxId);
        return updated;
    }

    public Sandbox? GetSandbox(string sandboxId) => _database.Read(c => SandboxRows.Get(c, null, sandboxId));

    public IReadOnlyList<Sandbox> ListSandboxes(IReadOnlyCollection<SandboxStatus>? statuses = null) =>
        _database.Read(c => SandboxRows.List(c, null, statuses));

    public IReadOnlyList<KeyValuePair<string, long>> CountSandboxesByStatus() => _database.Read(c => SandboxRows.CountByStatus(c, null));

    /// <summary>
    /// Deletes the records of sandboxes that ended (STOPPED or FAILED) before <paramref name="endedBefore"/>: the
    /// sandbox, its executions, events and workspace, in one transaction. Returns the ids of the executions removed,
    /// whose retained output the caller deletes.
    /// </summary>
    public IReadOnlyList<string> DeleteEndedBefore(DateTimeOffset endedBefore, out IReadOnlyList<string> sandboxIds)
    {
        var (sandboxes, executions) = _database.Write((c, tx) =>
        {
            var ended = new List<string>();
            using (var query = Sql.Command(c, tx, "SELECT id FROM sandboxes WHERE status IN ('STOPPED', 'FAILED') AND updated_at_ms <= $before",
                ("$before", Sql.ToMs(endedBefore))))
            using (var reader = query.ExecuteReader())
            {
                while (reader.Read())
                    ended.Add(reader.GetString(0));
            }
            var executionIds = new List<string>();
            foreach (var id in ended)
            {
                using (var query = Sql.Command(c, tx, "SELECT id FROM executions WHERE sandbox_id = $id", ("$id", id)))
                using (var reader = query.ExecuteReader())
                {
                    while (reader.Read())
                        executionIds.Add(reader.GetString(0));
                }
                foreach (var table in new[] { "workspaces", "events", "executions" })
                    Sql.Execute(c, tx, $"DELETE FROM {table} WHERE sandbox_id = $id", ("$id", id));
                Sql.Execute(c, tx, "DELETE FROM sandboxes WHERE id = $id", ("$id", id));
            }
            return (ended, executionIds);
        });
        sandboxIds = sandboxes;
        foreach (var id in sandboxes)
            ForgetEventSignal(id);
        return executions;
    }

    public void InsertExecution(Execution execution)
    {
        _database.Write((c, tx) =>
        {
            ExecutionRows.Insert(c, tx, execution);
            return AppendExecutionEvent(c, tx, execution.SandboxId, execution.CreatedAt, execution.Id, execution.Status, null, null, null);
        });
        Pulse(execution.SandboxId);
    }

    public Execution MarkExecutionRunning(string executionId, DateTimeOffset startedAt)
    {
        var updated = _database.Write((c, tx) =>
        {
            var current = ExecutionRows.Get(c, tx, executionId) ?? throw new InvalidOperationException($"execution {executionId} is not in the store");
            LifecycleTransitions.EnsureAllowed(current.Status, ExecutionStatus.Running);
            ExecutionRows.MarkRunning(c, tx, executionId, startedAt);
            AppendExecutionEvent(c, tx, current.SandboxId, startedAt, executionId, ExecutionStatus.Running, null, null, null);
            return current with { Status = ExecutionStatus.Running, StartedAt = startedAt };
        });
        Pulse(updated.SandboxId);
        return updated;
    }

    public Execution FinishExecution(string executionId, ExecutionEnding ending)
    {
        var updated = _database.Write((c, tx) =>
        {
            var current = ExecutionRows.Get(c, tx, executionId) ?? throw new InvalidOperationException($"execution {executionId} is not in the store");
            LifecycleTransitions.EnsureAllowed(current.Status, ending.Status);
            ExecutionRows.Finish(c, tx, executionId, ending);
            AppendExecutionEvent(c, tx, current.SandboxId, ending.FinishedAt, executionId, ending.Status, ending.ExitCode, ending.Signal, ending.FailureMessage);
            return current with
            {
                Status = ending.Status,
                ExitCode = ending.ExitCode,
                Signal = ending.Signal,
                FailureMessage = ending.FailureMessage,
                FinishedAt = ending.FinishedAt,
                Stdout = ending.Stdout,
                Stderr = ending.Stderr,
            };
        });
        Pulse(updated.SandboxId);
        return updated;
    }

    public Execution? GetExecution(string executionId) => _database.Read(c => ExecutionRows.Get(c, null, executionId));

    public IReadOnlyList<Execution> ListExecutions(string sandboxId) => _database.Read(c => ExecutionRows.ListBySandbox(c, null, sandboxId));

    public IReadOnlyList<Execution> ListExecutions(ExecutionStatus status) => _database.Read(c => ExecutionRows.ListByStatus(c, null, status));

    public SandboxEvent AppendEvent(string sandboxId, DateTimeOffset time, string type, string payloadJson)
    {
        var appended = _database.Write((c, tx) => EventRows.Append(c, tx, sandboxId, time, type, payloadJson));
        Pulse(sandboxId);
        return appended;
    }

    public IReadOnlyList<SandboxEvent> ReadEvents(string sandboxId, long afterSeq, int limit) =>
        _database.Read(c => EventRows.ReadAfter(c, sandboxId, afterSeq, limit));

    /// <summary>The signal pulsed after every event of this sandbox is committed.</summary>
    public ChangeSignal EventSignal(string sandboxId) => _eventSignals.GetOrAdd(sandboxId, _ => new ChangeSignal());

    /// <summary>Drops the signal of a sandbox that will have no more events (it reached STOPPED or FAILED).</summary>
    public void ForgetEventSignal(string sandboxId) => _eventSignals.TryRemove(sandboxId, out _);

    public void SaveWorkspace(string sandboxId, WorkspaceSummary summary, string recordJson, DateTimeOffset now) =>
        _database.Write((c, tx) => Sql.Execute(c, tx, """
            INSERT INTO workspaces (sandbox_id, guest_path, commit_id, checkout_path, record_json, updated_at_ms)
            VALUES ($id, $path, $commit, $checkout, $json, $now)
            ON CONFLICT(sandbox_id) DO UPDATE SET guest_path = excluded.guest_path, commit_id = excluded.commit_id,
                checkout_path = excluded.checkout_path, record_json = excluded.record_json, updated_at_ms = excluded.updated_at_ms
            """, ("$id", sandboxId), ("$path", summary.GuestPath), ("$commit", summary.Commit), ("$checkout", summary.CheckoutPath),
            ("$json", recordJson), ("$now", Sql.ToMs(now))));

    public WorkspaceSummary? GetWorkspaceSummary(string sandboxId) => _database.Read(c =>
    {
        using var command = Sql.Command(c, null, "SELECT guest_path, commit_id, checkout_path FROM workspaces WHERE sandbox_id = $id", ("$id", sandboxId));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new WorkspaceSummary(reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
    });

    public string? GetWorkspace(string sandboxId) => _database.Read(c =>
    {
        using var command = Sql.Command(c, null, "SELECT record_json FROM workspaces WHERE sandbox_id = $id", ("$id", sandboxId));
        return command.ExecuteScalar() as string;
    });

    public void Dispose() => _database.Dispose();

    private void Pulse(string sandboxId)
    {
        if (_eventSignals.TryGetValue(sandboxId, out var signal))
            signal.Pulse();
    }

    private static SandboxEvent AppendExecutionEvent(
        Microsoft.Data.Sqlite.SqliteConnection c, Microsoft.Data.Sqlite.SqliteTransaction tx, string sandboxId, DateTimeOffset time,
        string executionId, ExecutionStatus status, int? exitCode, int? signal, string? message) =>
        EventRows.Append(c, tx, sandboxId, time, SandboxEventTypes.ExecutionStatus, JsonColumns.Object(
            ("execution_id", executionId), ("status", StatusNames.Of(status)), ("exit_code", exitCode), ("signal", signal), ("message", message)));
}
