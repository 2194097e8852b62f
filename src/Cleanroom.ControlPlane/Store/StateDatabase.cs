using Cleanroom.Errors;
using Microsoft.Data.Sqlite;

namespace Cleanroom.ControlPlane.Store;

/// <summary>
/// The SQLite file under the state directory, one connection used under a lock. Every write is its own
/// transaction in WAL mode with synchronous=NORMAL: once a method returns its change survives kill -9 of the
/// server; an OS crash may roll back the last commits, which only describe sandboxes that crash ended too
/// (see README.md, "Storage layout").
/// A lock file keeps a second server from opening the same state (two reconcilers would fight).
/// </summary>
internal sealed class StateDatabase : IDisposable
{
    public const string FileName = "cleanroom.db";
    private const string LockFileName = "cleanroom.lock";

    private readonly SqliteConnection _connection;
    private readonly FileStream _lockFile;
    private readonly Lock _gate = new();

    private StateDatabase(SqliteConnection connection, FileStream lockFile)
    {
        _connection = connection;
        _lockFile = lockFile;
    }

    public static StateDatabase Open(string stateDirectory)
    {
        Directory.CreateDirectory(stateDirectory);
        var lockFile = AcquireLock(stateDirectory);
        SqliteConnection? connection = null;
        try
        {
            // Pooling off: the file must really be closed on Dispose (tests delete it, restarts reopen it).
            connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(stateDirectory, FileName),
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
            }.ToString());
            connection.Open();
            Execute(connection, "PRAGMA journal_mode=WAL;");
            Execute(connection, "PRAGMA synchronous=NORMAL;");
            Execute(connection, "PRAGMA foreign_keys=ON;");
            Migrate(connection);
            return new StateDatabase(connection, lockFile);
        }
        catch
        {
            connection?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="read"/> with the connection; no transaction.</summary>
    public T Read<T>(Func<SqliteConnection, T> read)
    {
        lock (_gate) return read(_connection);
    }

    /// <summary>Runs <paramref name="write"/> in one transaction, committed before this returns.</summary>
    public T Write<T>(Func<SqliteConnection, SqliteTransaction, T> write)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            var result = write(_connection, transaction);
            transaction.Commit();
            return result;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _connection.Dispose();
            _lockFile.Dispose();
        }
    }

    /// <summary>
    /// Fails with <see cref="StateDirectoryInUseException"/> at once when another server holds the state directory,
    /// so a second server says so before minutes of start-up work (backend probes) rather than after. The lock is let go
    /// again: <see cref="Open"/> takes it for good.
    /// </summary>
    public static void EnsureNotInUse(string stateDirectory)
    {
        Directory.CreateDirectory(stateDirectory);
        AcquireLock(stateDirectory).Dispose();
    }

    private static FileStream AcquireLock(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, LockFileName);
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Linux, released by the kernel on kill -9.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new StateDirectoryInUseException(stateDirectory, ex);
        }
    }

    private static void Migrate(SqliteConnection connection)
    {
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"));
        if (version > Schema.Migrations.Length)
        {
            throw new CleanroomException(
                ErrorCode.ConfigInvalid,
                $"the state database has schema version {version}, newer than this server understands ({Schema.Migrations.Length}); use a newer cleanroom");
        }
        for (var next = version; next < Schema.Migrations.Length; next++)
        {
            using var transaction = connection.BeginTransaction();
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = Schema.Migrations[next] + $"\nPRAGMA user_version = {next + 1};";
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
