using System.Globalization;
using Cleanroom.Errors;
using Cleanroom.Images.Interop;
using Cleanroom.Images.Oci;

namespace Cleanroom.Images.Storage;

/// <summary>
/// The layout's <c>index.json</c> read as a reference table. Each reference is one manifest descriptor whose
/// <c>org.opencontainers.image.ref.name</c> annotation holds the full normalised reference and whose
/// <c>org.opencontainers.image.created</c> holds when it was recorded. Writes replace the file by rename, so a
/// reader sees the old table or the new one, never half of one; writers serialise on <see cref="StoreLock"/>.
/// </summary>
internal sealed class ReferenceTable
{
    private const string LayoutVersionJson = """{"imageLayoutVersion":"1.0.0"}""";
    private readonly string layoutRoot;
    private readonly string indexPath;
    private readonly BlobStore blobs;

    public ReferenceTable(string layoutRoot, BlobStore blobs)
    {
        this.layoutRoot = layoutRoot;
        this.blobs = blobs;
        indexPath = Path.Combine(layoutRoot, "index.json");
        var layoutFile = Path.Combine(layoutRoot, "oci-layout");
        if (!File.Exists(layoutFile))
        {
            WriteAtomically(layoutFile, System.Text.Encoding.UTF8.GetBytes(LayoutVersionJson));
        }

        if (!File.Exists(indexPath))
        {
            Save([]);
        }
    }

    public IReadOnlyList<ReferenceEntry> Load()
    {
        var index = OciJson.Deserialize(File.ReadAllBytes(indexPath), OciJsonContext.Default.OciIndex, $"image index {indexPath}");
        var entries = new List<ReferenceEntry>();
        foreach (var descriptor in index.Manifests ?? [])
        {
            if (!Digest.TryParse(descriptor.Digest ?? "", out var digest, out var problem))
            {
                throw new CleanroomException(ErrorCode.ImageInvalid, $"image index {indexPath} lists a bad manifest digest: {problem}");
            }

            string? key = null;
            string? created = null;
            descriptor.Annotations?.TryGetValue(OciIndex.RefNameAnnotation, out key);
            descriptor.Annotations?.TryGetValue(OciIndex.CreatedAnnotation, out created);
            entries.Add(new ReferenceEntry(key, digest, descriptor.MediaType ?? OciMediaTypes.ImageManifest, descriptor.Size,
                DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) ? when : null));
        }

        return entries;
    }

    /// <summary>Replaces index.json. Call only while holding the store lock.</summary>
    public void Save(IReadOnlyList<ReferenceEntry> entries)
    {
        var manifests = entries.Select(entry =>
        {
            var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
            if (entry.Key is not null)
            {
                annotations[OciIndex.RefNameAnnotation] = entry.Key;
            }

            if (entry.Created is { } created)
            {
                annotations[OciIndex.CreatedAnnotation] = created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            }

            return new OciDescriptor(entry.MediaType, entry.ManifestDigest.ToString(), entry.ManifestSize)
            {
                Annotations = annotations.Count > 0 ? annotations : null,
                // An index spans platforms; only a single-platform manifest says which one it is.
                Platform = OciMediaTypes.IsIndex(entry.MediaType) ? null : new OciPlatform("amd64", "linux"),
            };
        }).ToList();
        WriteAtomically(indexPath, OciJson.Serialize(OciIndex.Empty with { Manifests = manifests }, OciJsonContext.Default.OciIndex));
    }

    private void WriteAtomically(string path, byte[] content)
    {
        var temporary = blobs.NewTemporaryPath();
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(content);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
            FileSystemCalls.FSyncDirectory(layoutRoot);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
