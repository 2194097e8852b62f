namespace Cleanroom.ControlPlane.Store;

/// <summary>
/// The database schema as an ordered list of migrations. PRAGMA user_version holds how many have been
/// applied; a new version appends a script and never edits an old one, so any older database upgrades.
/// </summary>
internal static class Schema
{
    public static readonly string[] Migrations =
    [
        // 1: sandboxes, executions, events.
        """
        CREATE TABLE sandboxes (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            backend TEXT,
            image_ref TEXT NOT NULL,
            policy_json TEXT NOT NULL,
            policy_hash TEXT NOT NULL,
            policy_has_egress_allow_rules INTEGER NOT NULL,
            policy_docker_required INTEGER NOT NULL,
            allow_all INTEGER NOT NULL,
            vcpus INTEGER,
            memory_bytes INTEGER,
            disk_bytes INTEGER,
            runtime_config_json TEXT,
            labels_json TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            failure_code TEXT,
            failure_message TEXT
        );
        CREATE INDEX sandboxes_by_status ON sandboxes(status);

        CREATE TABLE executions (
            id TEXT PRIMARY KEY,
            sandbox_id TEXT NOT NULL REFERENCES sandboxes(id),
            argv_json TEXT NOT NULL,
            env_json TEXT NOT NULL,
            cwd TEXT,
            user_name TEXT,
            tty INTEGER NOT NULL,
            stdin INTEGER NOT NULL,
            timeout_ms INTEGER,
            status TEXT NOT NULL,
            exit_code INTEGER,
            signal INTEGER,
            failure_message TEXT,
            created_at_ms INTEGER NOT NULL,
            started_at_ms INTEGER,
            finished_at_ms INTEGER,
            stdout_total_bytes INTEGER,
            stdout_retained_bytes INTEGER,
            stderr_total_bytes INTEGER,
            stderr_retained_bytes INTEGER
        );
        CREATE INDEX executions_by_sandbox ON executions(sandbox_id, created_at_ms);
        CREATE INDEX executions_by_status ON executions(status);

        CREATE TABLE events (
            sandbox_id TEXT NOT NULL REFERENCES sandboxes(id),
            seq INTEGER NOT NULL,
            time_ms INTEGER NOT NULL,
            type TEXT NOT NULL,
            payload_json TEXT NOT NULL,
            PRIMARY KEY (sandbox_id, seq)
        ) WITHOUT ROWID;
        """,
        // 2: the workspace of a repository-aware sandbox (commit, checkout, baseline), as one JSON document.
        """
        CREATE TABLE workspaces (
            sandbox_id TEXT PRIMARY KEY REFERENCES sandboxes(id),
            guest_path TEXT NOT NULL,
            commit_id TEXT NOT NULL,
            checkout_path TEXT NOT NULL,
            record_json TEXT NOT NULL,
            updated_at_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        // 3: the principal that created a sandbox (null: created before owners were recorded, or anonymously).
        """
        ALTER TABLE sandboxes ADD COLUMN owner TEXT;
        """,
        // 4: a sandbox's start-up milestones, on its first execution (origin: the sandbox's create; offsets in ms).
        """
        ALTER TABLE executions ADD COLUMN startup_origin_ms INTEGER;
        ALTER TABLE executions ADD COLUMN image_ready_ms INTEGER;
        ALTER TABLE executions ADD COLUMN network_ready_ms INTEGER;
        ALTER TABLE executions ADD COLUMN sandbox_ready_ms INTEGER;
        """,
    ];
}
