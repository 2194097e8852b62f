using System.Formats.Tar;

namespace Cleanroom.Workspace;

/// <summary>Tars of host files for sending into a sandbox: modes and mtimes kept, links stored as links.</summary>
public static class LocalTreeArchive
{
    /// <summary>
    /// Local changes of a checkout (<see cref="GitCheckout.LocalChangesAsync"/>) as an archive relative
    /// to its root; deleted paths become deletion entries. Returns how many entries were written.
    /// </summary>
    public static async Task<int> WriteChangesAsync(string root, IReadOnlyList<LocalChange> changes, Stream sink, CancellationToken cancellationToken)
    {
        var count = 0;
        await using var writer = new TarWriter(sink, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var change in changes.OrderBy(c => c.Path, StringComparer.Ordinal))
        {
            var path = WorkspacePath.Check(change.Path);
            var full = Path.Join(root, path);
            var info = new FileInfo(full);
            if (change.Deleted || (!info.Exists && info.LinkTarget is null))
            {
                await writer.WriteEntryAsync(WorkspaceArchive.Deletion(path), cancellationToken).ConfigureAwait(false);
            }
            else if (info.LinkTarget is not null || info.Exists)
            {
                await writer.WriteEntryAsync(full, path, cancellationToken).ConfigureAwait(false);
            }
            count++;
        }
        return count;
    }

    /// <summary>
    /// <paramref name="source"/> (a file, link or directory tree) as an archive whose top entry is named
    /// <paramref name="name"/>. Symbolic links inside are stored, not followed.
    /// </summary>
    public static async Task WriteTreeAsync(string source, string name, Stream sink, CancellationToken cancellationToken)
    {
        await using var writer = new TarWriter(sink, TarEntryFormat.Pax, leaveOpen: true);
        await WriteAsync(writer, source, name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Everything inside <paramref name="directory"/> as one archive, entries named relative to it (the directory itself
    /// is not an entry). Symbolic links inside are stored, not followed.
    /// </summary>
    public static async Task WriteContentsAsync(string directory, Stream sink, CancellationToken cancellationToken)
    {
        await using var writer = new TarWriter(sink, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var child in new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal))
            await WriteAsync(writer, child.FullName, child.Name, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteAsync(TarWriter writer, string path, string name, CancellationToken cancellationToken)
    {
        var info = new DirectoryInfo(path);
        var isDirectory = info.Exists && info.LinkTarget is null;
        await writer.WriteEntryAsync(path, isDirectory ? name + "/" : name, cancellationToken).ConfigureAwait(false);
        if (!isDirectory)
            return;
        foreach (var child in info.EnumerateFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal))
            await WriteAsync(writer, child.FullName, name + "/" + child.Name, cancellationToken).ConfigureAwait(false);
    }
}
