using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Cleanroom.Images.Tests;

/// <summary>Builds tarballs in memory for tests, good and malicious alike.</summary>
public sealed class TarBuilder
{
    public static readonly DateTimeOffset FixedTime = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly List<TarEntry> entries = [];

    public TarBuilder Directory(string name, UnixFileMode mode = (UnixFileMode)0b111_101_101) =>
        Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode });

    public TarBuilder File(string name, string content = "", UnixFileMode mode = (UnixFileMode)0b110_100_100, int uid = 0, int gid = 0) =>
        Add(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = mode,
            Uid = uid,
            Gid = gid,
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
        });

    public TarBuilder Symlink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)0b111_111_111 });

    public TarBuilder HardLink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });

    public TarBuilder Device(string name, TarEntryType type) =>
        Add(new PaxTarEntry(type, name) { DeviceMajor = 1, DeviceMinor = 3 });

    public TarBuilder Fifo(string name) => Add(new PaxTarEntry(TarEntryType.Fifo, name));

    public TarBuilder Add(TarEntry entry)
    {
        if (entry is not PaxGlobalExtendedAttributesTarEntry)
        {
            entry.ModificationTime = FixedTime;
        }

        entries.Add(entry);
        return this;
    }

    public byte[] ToTar()
    {
        var output = new MemoryStream();
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

    public byte[] ToTarGz()
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(ToTar());
        }

        return output.ToArray();
    }

    public MemoryStream ToStream() => new(ToTar());

    /// <summary>A small, valid rootfs.</summary>
    public static TarBuilder SmallRootfs(string marker = "hello") => new TarBuilder()
        .Directory("bin")
        .File("bin/tool", "#!/bin/sh\necho " + marker + "\n", (UnixFileMode)0b111_101_101)
        .Symlink("bin/sh", "/bin/tool")
        .Directory("etc")
        .File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        .HardLink("etc/passwd-link", "etc/passwd")
        .Directory("tmp", (UnixFileMode)0b1_111_111_111);
}
