using Microsoft.Data.Sqlite;

namespace Cleanroom.ControlPlane.Store;

/// <summary>SQL for the events table. Sequence numbers are per sandbox and assigned inside the writing transaction.</summary>
internal static class EventRows
{
    public static SandboxEvent Append(SqliteConnection c, SqliteTransaction tx, string sandboxId, DateTimeOffset time, string type, string payloadJson)
    {
        using var next = Sql.Command(c, tx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE sandbox_id = $sandbox", ("$sandbox", sandboxId));
        var seq = Convert.ToInt64(next.ExecuteScalar());
        Sql.Execute(c, tx, "INSERT INTO events (sandbox_id, seq, time_ms, type, payload_json) VALUES ($sandbox, $seq, $time, $type, $payload)",
            ("$sandbox", sandboxId), ("$seq", seq), ("$time", Sql.ToMs(time)), ("$type", type), ("$payload", payloadJson));
        return new SandboxEvent(sandboxId, seq, time, type, payloadJson);
    }

    /// <summary>Events with seq greater than <paramref name="afterSeq"/>, in order, at most <paramref name="limit"/>.</summary>
    public static IReadOnlyList<SandboxEvent> ReadAfter(SqliteConnection c, string sandboxId, long afterSeq, int limit)
    {
        using var command = Sql.Command(c, null,
            "SELECT seq, time_ms, type, payload_json FROM events WHERE sandbox_id = $sandbox AND seq > $after ORDER BY seq LIMIT $limit",
            ("$sandbox", sandboxId), ("$after", afterSeq), ("$limit", limit));
        using var reader = command.ExecuteReader();
        var result = new List<SandboxEvent>();
        while (reader.Read())
            result.Add(new SandboxEvent(sandboxId, reader.GetInt64(0), Sql.FromMs(reader.GetInt64(1)), reader.GetString(2), reader.GetString(3)));
        return result;
    }
}
