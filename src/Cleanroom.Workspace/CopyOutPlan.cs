using Cleanroom.Backends;
using Cleanroom.Errors;

namespace Cleanroom.Workspace;

/// <summary>
/// What copy-out would do to a local checkout: the changes to write, the added paths left out because
/// the checkout ignores them, and the conflicts (local files that are no longer what the sandbox started
/// from). Built before anything is written, so --dry-run and a refusal touch nothing.
/// </summary>
public sealed record CopyOutPlan(IReadOnlyList<WorkspaceChange> Changes, IReadOnlyList<string> Ignored, IReadOnlyList<string> Conflicts)
{
    public static async Task<CopyOutPlan> BuildAsync(IReadOnlyList<WorkspaceChange> changes, LocalTreeWriter destination,
        Func<IReadOnlyCollection<string>, Task<IReadOnlySet<string>>> ignored, CancellationToken cancellationToken)
    {
        foreach (var change in changes)
        {
            destination.CheckRelative(change.Path);
            if (change.After is { Kind: GuestEntryKind.SymbolicLink } link)
                destination.CheckLinkTarget(change.Path, link.LinkTarget);
        }
        // A path under one the sandbox turned into a link would be written through that link.
        var links = changes.Where(c => c.After?.Kind == GuestEntryKind.SymbolicLink).Select(c => c.Path + "/").ToList();
        if (changes.FirstOrDefault(c => c.After is not null && links.Any(l => c.Path.StartsWith(l, StringComparison.Ordinal))) is { } under)
            throw new CleanroomException(ErrorCode.PathUnsafe, $"refusing {under.Path}: a parent of it is a symbolic link made in the sandbox");

        var addedPaths = changes.Where(c => c.Kind == WorkspaceChangeKind.Added).Select(c => c.Path).ToList();
        var ignoredSet = await ignored(addedPaths).ConfigureAwait(false);
        var kept = changes.Where(c => !(c.Kind == WorkspaceChangeKind.Added && ignoredSet.Contains(c.Path))).ToList();

        var conflicts = new List<string>();
        foreach (var change in kept)
        {
            var local = await LocalEntryAsync(destination.Root, change.Path, cancellationToken).ConfigureAwait(false);
            var expected = change.Before;
            var fine = expected is null
                ? local is null || (change.After is not null && local.SameAs(change.After))
                : local is not null && (local.SameAs(expected) || (change.After is not null && local.SameAs(change.After)));
            if (!fine)
                conflicts.Add(expected is null
                    ? $"{change.Path}: exists locally with other content"
                    : local is null ? $"{change.Path}: deleted locally" : $"{change.Path}: changed locally");
        }
        return new CopyOutPlan(kept, ignoredSet.Order(StringComparer.Ordinal).ToList(), conflicts);
    }

    /// <summary>The host file or link at a checkout path as a workspace entry, or null when absent (or a directory).</summary>
    public static async Task<WorkspaceEntry?> LocalEntryAsync(string root, string relative, CancellationToken cancellationToken)
    {
        var full = Path.Join(root, relative);
        var info = new FileInfo(full);
        if (info.LinkTarget is { } target)
            return new WorkspaceEntry(relative, GuestEntryKind.SymbolicLink, false, GitBlobId.Of(System.Text.Encoding.UTF8.GetBytes(target)), target);
        if (!info.Exists)
            return null;
        var executable = (File.GetUnixFileMode(full) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        return new WorkspaceEntry(relative, GuestEntryKind.File, executable, await GitBlobId.OfLocalPathAsync(full, cancellationToken).ConfigureAwait(false), "");
    }
}
