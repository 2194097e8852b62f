using System.IO.Compression;
using Cleanroom.Testing.Registry;

namespace Cleanroom.Registry.Bench;

/// <summary>
/// A deterministic image shaped like a real one: five gzip layers of about 20 MB each (about 36 MB of files each
/// before compression), mostly small files in nested directories with some large ones, symlinks, and upper layers
/// that replace and white out files of lower ones. File contents have about 4 bits of entropy per byte, so they
/// compress about as well as typical binaries and text together.
/// </summary>
internal static class BenchImage
{
    private const long LayerBytes = 34L << 20;

    public static IReadOnlyList<BuiltLayer> Layers()
    {
        var random = new Random(20261123);
        var layers = new List<BuiltLayer>();
        for (var layer = 0; layer < 5; layer++)
        {
            var builder = new LayerBuilder();
            if (layer > 0)
            {
                // Replace and delete some of the layer below, as package upgrades do.
                builder.Whiteout($"l{layer - 1}/d0/f0");
                builder.Opaque($"l{layer - 1}/d1");
                builder.File($"l{layer - 1}/d1/replaced", Content(random, 4096));
            }

            builder.Directory($"l{layer}");
            long written = 0;
            for (var file = 0; written < LayerBytes; file++)
            {
                if (file % 25 == 0)
                {
                    builder.Directory($"l{layer}/d{file / 25}");
                }

                var size = random.NextDouble() switch
                {
                    < 0.70 => random.Next(1 << 10, 16 << 10),
                    < 0.95 => random.Next(16 << 10, 256 << 10),
                    _ => random.Next(512 << 10, 2 << 20),
                };
                builder.File($"l{layer}/d{file / 25}/f{file}", Content(random, size));
                if (file % 50 == 7)
                {
                    builder.Symlink($"l{layer}/d{file / 25}/link{file}", $"f{file}");
                }

                written += size;
            }

            layers.Add(Compress(builder.Tar()));
        }

        return layers;
    }

    // gzip at its default level, as image builders compress layers (the fixture's own layers use the fastest level).
    private static BuiltLayer Compress(byte[] tar)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(tar);
        }

        return new BuiltLayer(output.ToArray(), "application/vnd.oci.image.layer.v1.tar+gzip", LayerBuilder.Sha256(tar));
    }

    private static byte[] Content(Random random, int size)
    {
        var bytes = new byte[size];
        random.NextBytes(bytes);
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(0x40 | (bytes[i] & 0x0f));
        }

        return bytes;
    }
}
