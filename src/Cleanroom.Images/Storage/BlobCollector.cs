using Cleanroom.Errors;

namespace Cleanroom.Images.Storage;

/// <summary>
/// Garbage collection: every blob not reachable from a reference-table entry (its manifest, config and
/// layers) is deleted. Runs under the store lock, where no import is between committing its blobs and
/// recording its reference, so nothing half-imported is ever collected.
/// </summary>
internal static class BlobCollector
{
    public static IReadOnlyList<Digest> Collect(BlobStore blobs, IEnumerable<ReferenceEntry> entries)
    {
        var live = new HashSet<Digest>();
        foreach (var entry in entries)
        {
            live.Add(entry.ManifestDigest);
            try
            {
                live.UnionWith(ImageDocuments.ReferencedBy(blobs, entry.ManifestDigest));
            }
            catch (CleanroomException)
            {
                // A missing or damaged manifest keeps nothing else alive; the entry stays for the user to see.
            }
        }

        var deleted = new List<Digest>();
        foreach (var digest in blobs.Enumerate().ToList())
        {
            if (!live.Contains(digest))
            {
                blobs.Delete(digest);
                deleted.Add(digest);
            }
        }

        return deleted;
    }
}
