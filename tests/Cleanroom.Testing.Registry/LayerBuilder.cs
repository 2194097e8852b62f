using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Cleanroom.Testing.Registry;

public enum LayerCompression
{
    Gzip,
    Zstd,
    None,
}

/// <summary>One layer's tar, built in memory with System.Formats.Tar, including OCI whiteouts.</summary>
public sealed class LayerBuilder
{
    private static readonly DateTimeOffset FixedTime = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly List<TarEntry> entries = [];

    public LayerBuilder Directory(string name) =>
        Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 });

    public LayerBuilder File(string name, string content) => File(name, Encoding.UTF8.GetBytes(content));

    public LayerBuilder File(string name, byte[] content) =>
        Add(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(content) });

    public LayerBuilder Symlink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)0b111_111_111 });

    /// <summary><c>dir/.wh.name</c>: deletes <c>dir/name</c> of the layers below.</summary>
    public LayerBuilder Whiteout(string path)
    {
        var slash = path.LastIndexOf('/');
        var name = slash < 0 ? ".wh." + path : path[..(slash + 1)] + ".wh." + path[(slash + 1)..];
        return File(name, "");
    }

    /// <summary><c>dir/.wh..wh..opq</c>: hides everything the layers below put in <c>dir</c>.</summary>
    public LayerBuilder Opaque(string directory) => File(directory.TrimEnd('/') + "/.wh..wh..opq", "");

    public LayerBuilder Add(TarEntry entry)
    {
        entry.ModificationTime = FixedTime;
        entries.Add(entry);
        return this;
    }

    public byte[] Tar()
    {
        using var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                entry.DataStream?.Seek(0, SeekOrigin.Begin);
                writer.WriteEntry(entry);
            }
        }

        return output.ToArray();
    }

    public BuiltLayer Build(LayerCompression compression = LayerCompression.Gzip) => FromTar(Tar(), compression);

    /// <summary>A layer from a tar made elsewhere (e.g. out/images/busybox.tar).</summary>
    public static BuiltLayer FromTar(byte[] tar, LayerCompression compression = LayerCompression.Gzip)
    {
        var (blob, mediaType) = compression switch
        {
            LayerCompression.Gzip => (Gzip(tar), "application/vnd.oci.image.layer.v1.tar+gzip"),
            LayerCompression.Zstd => (new ZstdSharp.Compressor(3).Wrap(tar).ToArray(), "application/vnd.oci.image.layer.v1.tar+zstd"),
            _ => (tar, "application/vnd.oci.image.layer.v1.tar"),
        };
        return new BuiltLayer(blob, mediaType, Sha256(tar));
    }

    public static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static byte[] Gzip(byte[] tar)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(tar);
        }

        return output.ToArray();
    }
}

/// <summary>A layer blob, its media type, and the digest of its uncompressed tar (the config's diff_id).</summary>
public sealed record BuiltLayer(byte[] Blob, string MediaType, string DiffId)
{
    public string Digest => LayerBuilder.Sha256(Blob);
}
