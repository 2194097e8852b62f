using Cleanroom.Backends;
using Microsoft.Data.Sqlite;

namespace Cleanroom.ControlPlane.Store;

/// <summary>SQL for the sandboxes table.</summary>
internal static class SandboxRows
{
    public static void Insert(SqliteConnection c, SqliteTransaction tx, Sandbox s) => Sql.Execute(c, tx, """
        INSERT INTO sandboxes (id, status, backend, image_ref, policy_json, policy_hash, policy_has_egress_allow_rules,
            policy_docker_required, allow_all, vcpus, memory_bytes, disk_bytes, runtime_config_json, labels_json,
            created_at_ms, updated_at_ms, failure_code, failure_message, owner)
        VALUES ($id, $status, $backend, $image, $policy, $hash, $egress, $docker, $allowAll, $vcpus, $memory, $disk,
            $runtimeConfig, $labels, $created, $updated, $code, $message, $owner)
        """,
        ("$id", s.Id), ("$status", StatusNames.Of(s.Status)), ("$backend", s.Backend), ("$image", s.ImageRef),
        ("$policy", s.Policy.CanonicalJson), ("$hash", s.Policy.Hash), ("$egress", s.Policy.HasEgressAllowRules),
        ("$docker", s.Policy.DockerRequired), ("$allowAll", s.AllowAll), ("$vcpus", s.Resources.Vcpus),
        ("$memory", s.Resources.MemoryBytes), ("$disk", s.Resources.DiskBytes),
        ("$runtimeConfig", JsonColumns.FromElement(s.RuntimeConfig)), ("$labels", JsonColumns.FromMap(s.Labels)),
        ("$created", Sql.ToMs(s.CreatedAt)), ("$updated", Sql.ToMs(s.UpdatedAt)), ("$code", s.FailureCode), ("$message", s.FailureMessage),
        ("$owner", s.Owner));

    public static void UpdateStatus(SqliteConnection c, SqliteTransaction tx, string id, SandboxStatus status, DateTimeOffset now, string? failureCode, string? failureMessage) =>
        Sql.Execute(c, tx,
            "UPDATE sandboxes SET status = $status, updated_at_ms = $now, failure_code = $code, failure_message = $message WHERE id = $id",
            ("$id", id), ("$status", StatusNames.Of(status)), ("$now", Sql.ToMs(now)), ("$code", failureCode), ("$message", failureMessage));

    public static void SetBackend(SqliteConnection c, SqliteTransaction tx, string id, string backend, DateTimeOffset now) =>
        Sql.Execute(c, tx, "UPDATE sandboxes SET backend = $backend, updated_at_ms = $now WHERE id = $id",
            ("$id", id), ("$backend", backend), ("$now", Sql.ToMs(now)));

    public static Sandbox? Get(SqliteConnection c, SqliteTransaction? tx, string id)
    {
        using var command = Sql.Command(c, tx, "SELECT * FROM sandboxes WHERE id = $id", ("$id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? Map(reader) : null;
    }

    /// <summary>All sandboxes, oldest first; only those in <paramref name="statuses"/> when given.</summary>
    public static IReadOnlyList<Sandbox> List(SqliteConnection c, SqliteTransaction? tx, IReadOnlyCollection<SandboxStatus>? statuses = null)
    {
        using var command = Sql.Command(c, tx, "SELECT * FROM sandboxes ORDER BY created_at_ms, id");
        using var reader = command.ExecuteReader();
        var result = new List<Sandbox>();
        while (reader.Read())
        {
            var sandbox = Map(reader);
            if (statuses is null || statuses.Contains(sandbox.Status))
                result.Add(sandbox);
        }
        return result;
    }

    /// <summary>How many sandboxes each status has (statuses as stored, e.g. READY); statuses with none are absent.</summary>
    public static IReadOnlyList<KeyValuePair<string, long>> CountByStatus(SqliteConnection c, SqliteTransaction? tx)
    {
        using var command = Sql.Command(c, tx, "SELECT status, COUNT(*) FROM sandboxes GROUP BY status");
        using var reader = command.ExecuteReader();
        var counts = new List<KeyValuePair<string, long>>();
        while (reader.Read())
            counts.Add(new(reader.GetString(0), reader.GetInt64(1)));
        return counts;
    }

    private static Sandbox Map(SqliteDataReader r) => new()
    {
        Id = r.String("id"),
        Status = StatusNames.ParseSandbox(r.String("status")),
        Backend = r.NullableString("backend"),
        ImageRef = r.String("image_ref"),
        Policy = new SandboxPolicy(r.String("policy_json"), r.String("policy_hash"), r.Bool("policy_has_egress_allow_rules"), r.Bool("policy_docker_required")),
        AllowAll = r.Bool("allow_all"),
        Resources = new SandboxResources((int?)r.NullableInt64("vcpus"), r.NullableInt64("memory_bytes"), r.NullableInt64("disk_bytes")),
        RuntimeConfig = JsonColumns.ToElement(r.NullableString("runtime_config_json")),
        Labels = JsonColumns.ToMap(r.String("labels_json")),
        CreatedAt = Sql.FromMs(r.Int64("created_at_ms")),
        UpdatedAt = Sql.FromMs(r.Int64("updated_at_ms")),
        FailureCode = r.NullableString("failure_code"),
        FailureMessage = r.NullableString("failure_message"),
        Owner = r.NullableString("owner"),
    };
}
