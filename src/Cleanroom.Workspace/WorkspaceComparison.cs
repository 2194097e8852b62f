using Cleanroom.Backends;

namespace Cleanroom.Workspace;

/// <summary>Finds what changed in a sandbox's workspace since its baseline, from a listing of the guest tree.</summary>
public static class WorkspaceComparison
{
    public static IReadOnlyList<WorkspaceChange> Compare(IReadOnlyDictionary<string, WorkspaceEntry> baseline, IEnumerable<GuestTreeEntry> guestTree)
    {
        var current = new Dictionary<string, WorkspaceEntry>(StringComparer.Ordinal);
        foreach (var entry in guestTree)
        {
            if (entry.Path.Length > 0 && WorkspaceEntry.FromGuest(entry) is { } file)
                current[entry.Path] = file;
        }
        var changes = new List<WorkspaceChange>();
        foreach (var (path, after) in current)
        {
            if (!baseline.TryGetValue(path, out var before))
                changes.Add(new WorkspaceChange(WorkspaceChangeKind.Added, path, null, after));
            else if (!before.SameAs(after))
                changes.Add(new WorkspaceChange(WorkspaceChangeKind.Modified, path, before, after));
        }
        foreach (var (path, before) in baseline)
        {
            if (!current.ContainsKey(path))
                changes.Add(new WorkspaceChange(WorkspaceChangeKind.Deleted, path, before, null));
        }
        changes.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return changes;
    }
}
