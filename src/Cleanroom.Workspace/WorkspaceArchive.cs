using System.Formats.Tar;
using Cleanroom.Backends;
using Cleanroom.Errors;

namespace Cleanroom.Workspace;

/// <summary>
/// The tar format of workspace transfers into a sandbox: PAX, entries relative to the workspace root,
/// directories, regular files and symbolic links only, and deletions as entries carrying
/// <see cref="DeleteAttribute"/> (the agent's ArchiveWrite contract).
/// </summary>
public static class WorkspaceArchive
{
    /// <summary>Must equal Cleanroom.Agent.Protocol.Messages.TreeArchive.DeleteAttribute.</summary>
    public const string DeleteAttribute = "CLEANROOM.delete";

    public static PaxTarEntry Deletion(string path) =>
        new(TarEntryType.RegularFile, path, new Dictionary<string, string> { [DeleteAttribute] = "1" });

    /// <summary>
    /// Checks every entry of an archive about to go into a sandbox and returns what it does to the
    /// workspace's files (null = deleted). Refuses anything that is not a plain relative path or not a
    /// directory, file, link or deletion, with the entry named.
    /// </summary>
    public static async Task<IReadOnlyList<(string Path, WorkspaceEntry? Entry)>> ScanAsync(Stream archive, CancellationToken cancellationToken)
    {
        var updates = new List<(string, WorkspaceEntry?)>();
        await using var reader = new TarReader(archive, leaveOpen: true);
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
                    continue; // git archive writes one (the commit id); it names no file
                var path = WorkspacePath.Check(entry.Name.TrimEnd('/'));
                if (entry is PaxTarEntry pax && pax.ExtendedAttributes.ContainsKey(DeleteAttribute))
                {
                    updates.Add((path, null));
                    continue;
                }
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        var blob = entry.DataStream is null ? GitBlobId.Of([]) : await GitBlobId.OfStreamAsync(entry.DataStream, entry.Length, cancellationToken).ConfigureAwait(false);
                        updates.Add((path, new WorkspaceEntry(path, GuestEntryKind.File, ((int)entry.Mode & 0b001_001_001) != 0, blob, "")));
                        break;
                    case TarEntryType.SymbolicLink:
                        updates.Add((path, new WorkspaceEntry(path, GuestEntryKind.SymbolicLink, false,
                            GitBlobId.Of(System.Text.Encoding.UTF8.GetBytes(entry.LinkName)), entry.LinkName)));
                        break;
                    default:
                        throw new CleanroomException(ErrorCode.InvalidArgument, $"archive entry {path} has type {entry.EntryType}; only directories, files and links can be copied into a sandbox");
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, $"the archive is not a valid tar: {e.Message}", e);
        }
        return updates;
    }
}
