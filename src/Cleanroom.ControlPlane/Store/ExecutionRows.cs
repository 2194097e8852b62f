using Cleanroom.Backends;
using Microsoft.Data.Sqlite;

namespace Cleanroom.ControlPlane.Store;

/// <summary>SQL for the executions table.</summary>
internal static class ExecutionRows
{
    public static void Insert(SqliteConnection c, SqliteTransaction tx, Execution e) => Sql.Execute(c, tx, """
        INSERT INTO executions (id, sandbox_id, argv_json, env_json, cwd, user_name, tty, stdin, timeout_ms, status,
            exit_code, signal, failure_message, created_at_ms, started_at_ms, finished_at_ms,
            startup_origin_ms, image_ready_ms, network_ready_ms, sandbox_ready_ms)
        VALUES ($id, $sandbox, $argv, $env, $cwd, $user, $tty, $stdin, $timeout, $status,
            $exitCode, $signal, $message, $created, $started, $finished, $origin, $imageReady, $networkReady, $sandboxReady)
        """,
        ("$id", e.Id), ("$sandbox", e.SandboxId), ("$argv", JsonColumns.FromList(e.Spec.Argv)), ("$env", JsonColumns.FromPairs(e.Spec.Env)),
        ("$cwd", e.Spec.Cwd), ("$user", e.Spec.User), ("$tty", e.Spec.Tty), ("$stdin", e.Spec.Stdin),
        ("$timeout", e.Spec.Timeout is { } t ? (long)t.TotalMilliseconds : null), ("$status", StatusNames.Of(e.Status)),
        ("$exitCode", e.ExitCode), ("$signal", e.Signal), ("$message", e.FailureMessage),
        ("$created", Sql.ToMs(e.CreatedAt)), ("$started", Sql.ToMs(e.StartedAt)), ("$finished", Sql.ToMs(e.FinishedAt)),
        ("$origin", Sql.ToMs(e.Startup?.Origin)), ("$imageReady", Ms(e.Startup?.ImageReady)),
        ("$networkReady", Ms(e.Startup?.NetworkReady)), ("$sandboxReady", Ms(e.Startup?.SandboxReady)));

    private static long? Ms(TimeSpan? offset) => offset is { } o ? (long)o.TotalMilliseconds : null;

    private static TimeSpan? Offset(SqliteDataReader r, string column) =>
        r.NullableInt64(column) is { } ms ? TimeSpan.FromMilliseconds(ms) : null;

    public static void MarkRunning(SqliteConnection c, SqliteTransaction tx, string id, DateTimeOffset startedAt) =>
        Sql.Execute(c, tx, "UPDATE executions SET status = $status, started_at_ms = $started WHERE id = $id",
            ("$id", id), ("$status", StatusNames.Of(ExecutionStatus.Running)), ("$started", Sql.ToMs(startedAt)));

    public static void Finish(SqliteConnection c, SqliteTransaction tx, string id, ExecutionEnding ending) => Sql.Execute(c, tx, """
        UPDATE executions SET status = $status, exit_code = $exitCode, signal = $signal, failure_message = $message,
            finished_at_ms = $finished, stdout_total_bytes = $outTotal, stdout_retained_bytes = $outKept,
            stderr_total_bytes = $errTotal, stderr_retained_bytes = $errKept
        WHERE id = $id
        """,
        ("$id", id), ("$status", StatusNames.Of(ending.Status)), ("$exitCode", ending.ExitCode), ("$signal", ending.Signal),
        ("$message", ending.FailureMessage), ("$finished", Sql.ToMs(ending.FinishedAt)),
        ("$outTotal", ending.Stdout?.TotalBytes), ("$outKept", ending.Stdout?.RetainedBytes),
        ("$errTotal", ending.Stderr?.TotalBytes), ("$errKept", ending.Stderr?.RetainedBytes));

    public static Execution? Get(SqliteConnection c, SqliteTransaction? tx, string id)
    {
        using var command = Sql.Command(c, tx, "SELECT * FROM executions WHERE id = $id", ("$id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? Map(reader) : null;
    }

    public static IReadOnlyList<Execution> ListBySandbox(SqliteConnection c, SqliteTransaction? tx, string sandboxId) =>
        Query(c, tx, "SELECT * FROM executions WHERE sandbox_id = $sandbox ORDER BY created_at_ms, id", ("$sandbox", sandboxId));

    public static IReadOnlyList<Execution> ListByStatus(SqliteConnection c, SqliteTransaction? tx, ExecutionStatus status) =>
        Query(c, tx, "SELECT * FROM executions WHERE status = $status ORDER BY created_at_ms, id", ("$status", StatusNames.Of(status)));

    private static IReadOnlyList<Execution> Query(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] parameters)
    {
        using var command = Sql.Command(c, tx, sql, parameters);
        using var reader = command.ExecuteReader();
        var result = new List<Execution>();
        while (reader.Read())
            result.Add(Map(reader));
        return result;
    }

    private static Execution Map(SqliteDataReader r) => new()
    {
        Id = r.String("id"),
        SandboxId = r.String("sandbox_id"),
        Spec = new ExecutionSpec
        {
            Argv = JsonColumns.ToList(r.String("argv_json")),
            Env = JsonColumns.ToPairs(r.String("env_json")),
            Cwd = r.NullableString("cwd"),
            User = r.NullableString("user_name"),
            Tty = r.Bool("tty"),
            Stdin = r.Bool("stdin"),
            Timeout = r.NullableInt64("timeout_ms") is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
        },
        Status = StatusNames.ParseExecution(r.String("status")),
        ExitCode = (int?)r.NullableInt64("exit_code"),
        Signal = (int?)r.NullableInt64("signal"),
        FailureMessage = r.NullableString("failure_message"),
        CreatedAt = Sql.FromMs(r.Int64("created_at_ms")),
        StartedAt = r.NullableInt64("started_at_ms") is { } started ? Sql.FromMs(started) : null,
        FinishedAt = r.NullableInt64("finished_at_ms") is { } finished ? Sql.FromMs(finished) : null,
        Stdout = Summary(r, "stdout"),
        Stderr = Summary(r, "stderr"),
        Startup = r.NullableInt64("startup_origin_ms") is { } origin
            ? new ExecutionStartup(Sql.FromMs(origin), Offset(r, "image_ready_ms"), Offset(r, "network_ready_ms"), Offset(r, "sandbox_ready_ms"))
            : null,
    };

    private static OutputSummary? Summary(SqliteDataReader r, string stream) =>
        r.NullableInt64($"{stream}_total_bytes") is { } total && r.NullableInt64($"{stream}_retained_bytes") is { } kept
            ? new OutputSummary(total, kept)
            : null;
}
