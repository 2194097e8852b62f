using System.Formats.Tar;
using Cleanroom.Errors;

namespace Cleanroom.Workspace;

/// <summary>
/// Unpacks a tar that came out of a sandbox (untrusted) through a <see cref="LocalTreeWriter"/>: only
/// directories, regular files and symbolic links; anything else (devices, FIFOs, hard links) is refused.
/// Stops with <c>too_large</c> once the file content passes <paramref name="maxBytes"/>.
/// </summary>
public static class SandboxArchiveExtractor
{
    /// <param name="map">Entry name (without trailing '/') → the relative host path to write, or null to skip the entry.</param>
    public static async Task<IReadOnlyList<string>> ExtractAsync(Stream archive, LocalTreeWriter writer, Func<string, string?> map, long maxBytes,
        CancellationToken cancellationToken)
    {
        var written = new List<string>();
        long total = 0;
        await using var reader = new TarReader(archive, leaveOpen: true);
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
                    continue;
                var name = entry.Name.TrimEnd('/');
                if (map(name) is not { } relative)
                    continue;
                writer.CheckRelative(relative);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        writer.CreateDirectory(relative, entry.Mode, entry.ModificationTime);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        total += entry.Length;
                        if (total > maxBytes)
                            throw new CleanroomException(ErrorCode.TooLarge, $"the sandbox returned more than {maxBytes} bytes; stopped at {name} (raise the limit with --max-bytes)");
                        await writer.WriteFileAsync(relative, entry.DataStream ?? Stream.Null, entry.Mode, entry.ModificationTime, cancellationToken).ConfigureAwait(false);
                        break;
                    case TarEntryType.SymbolicLink:
                        writer.CreateLink(relative, entry.LinkName);
                        break;
                    default:
                        throw new CleanroomException(ErrorCode.PathUnsafe, $"refusing {name}: entries of type {entry.EntryType} are not copied out of a sandbox");
                }
                written.Add(relative);
            }
        }
        catch (InvalidDataException e)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, $"the sandbox sent an invalid archive: {e.Message}", e);
        }
        return written;
    }
}
