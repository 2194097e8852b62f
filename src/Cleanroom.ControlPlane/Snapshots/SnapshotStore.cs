using System.Security.Cryptography;
using System.Text.Json;
using Cleanroom.Errors;

namespace Cleanroom.ControlPlane.Snapshots;

/// <summary>
/// Snapshots on disk, one directory each under <c>snapshots/</c> of the state directory: the backend's files and a
/// <c>snapshot.json</c> with the record. The directory's name is the snapshot's id, <c>snap-</c> and the first 24 hex
/// digits of a SHA-256 over the files' names and contents, so the same state stored twice is one snapshot. A snapshot
/// is written under a staging name and renamed into place whole, so a crash leaves no half snapshot under a real id.
/// </summary>
internal sealed class SnapshotStore(string root)
{
    private const string RecordFile = "snapshot.json";
    private const string StagingPrefix = ".staging-";

    public string Root => root;

    /// <summary>An empty directory for a backend to write a snapshot's files into, then <see cref="Commit"/>.</summary>
    public string Stage()
    {
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return Directory.CreateDirectory(Path.Combine(root, StagingPrefix + Guid.NewGuid().ToString("N"))).FullName;
    }

    /// <summary>Names the staged files by their digest, writes the record and moves them into place.</summary>
    public Snapshot Commit(string staged, Func<string, long, Snapshot> describe)
    {
        var (id, bytes) = Digest(staged);
        var snapshot = describe(id, bytes);
        var target = DirectoryOf(id);
        if (Directory.Exists(target))
        {
            Directory.Delete(staged, recursive: true); // the same state is stored already: one snapshot
            return Find(id) ?? throw new CleanroomException(ErrorCode.SnapshotCorrupt, $"snapshot {id} exists without its record");
        }
        WriteRecord(Path.Combine(staged, RecordFile), snapshot);
        Directory.Move(staged, target);
        return snapshot;
    }

    public string DirectoryOf(string id) => Path.Combine(root, SnapshotIds.Check(id));

    public Snapshot? Find(string id)
    {
        var path = Path.Combine(DirectoryOf(id), RecordFile);
        return File.Exists(path) ? ReadRecord(path) : null;
    }

    public IReadOnlyList<Snapshot> List() => !Directory.Exists(root) ? [] :
        Directory.EnumerateDirectories(root)
            .Where(d => SnapshotIds.IsValid(Path.GetFileName(d)))
            .Select(d => Find(Path.GetFileName(d)))
            .OfType<Snapshot>()
            .OrderBy(s => s.CreatedAt)
            .ToList();

    /// <summary>Removes a snapshot; false when there was none.</summary>
    public bool Remove(string id)
    {
        var directory = DirectoryOf(id);
        if (!Directory.Exists(directory))
            return false;
        Directory.Delete(directory, recursive: true);
        return true;
    }

    /// <summary>Removes staging directories a crash left behind.</summary>
    public void RemoveStaging()
    {
        if (!Directory.Exists(root))
            return;
        foreach (var staged in Directory.EnumerateDirectories(root, StagingPrefix + "*"))
            Directory.Delete(staged, recursive: true);
    }

    private static (string Id, long Bytes) Digest(string directory)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long bytes = 0;
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(directory, file) + "\0"));
            using var stream = File.OpenRead(file);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                hash.AppendData(buffer.AsSpan(0, read));
                bytes += read;
            }
        }
        return (SnapshotIds.Prefix + Convert.ToHexStringLower(hash.GetHashAndReset())[..24], bytes);
    }

    private static void WriteRecord(string path, Snapshot snapshot)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        using var json = new Utf8JsonWriter(file);
        json.WriteStartObject();
        json.WriteString("id", snapshot.Id);
        json.WriteString("name", snapshot.Name);
        json.WriteString("source_sandbox_id", snapshot.SourceSandboxId);
        json.WriteString("backend", snapshot.Backend);
        json.WriteString("image_ref", snapshot.ImageRef);
        json.WriteString("policy_hash", snapshot.PolicyHash);
        json.WriteString("owner", snapshot.Owner);
        json.WriteString("created_at", snapshot.CreatedAt);
        json.WriteNumber("bytes", snapshot.Bytes);
        json.WriteEndObject();
    }

    private static Snapshot ReadRecord(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = document.RootElement;
            string? Text(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            string Required(string name) => Text(name) ?? throw new JsonException($"no {name}");
            return new Snapshot(Required("id"), Text("name"), Required("source_sandbox_id"), Required("backend"), Required("image_ref"),
                Required("policy_hash"), Text("owner"), r.GetProperty("created_at").GetDateTimeOffset(), r.GetProperty("bytes").GetInt64());
        }
        catch (Exception e) when (e is JsonException or IOException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new CleanroomException(ErrorCode.SnapshotCorrupt, $"the snapshot record {path} cannot be read: {e.Message}", e);
        }
    }
}
