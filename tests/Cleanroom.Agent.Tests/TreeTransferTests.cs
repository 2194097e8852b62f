using System.Formats.Tar;
using System.Text;
using Cleanroom.Agent.Client;
using Cleanroom.Agent.Protocol.Messages;
using Cleanroom.Agent.Tests.Support;
using Cleanroom.Errors;

namespace Cleanroom.Agent.Tests;

public class TreeTransferTests : AgentTestBase
{
    protected override AgentConnectionOptions? Options => new() { OutputWindow = 128 * 1024 };

    [Fact]
    public async Task A_tree_written_as_an_archive_reads_back_with_modes_mtimes_and_links()
    {
        var source = Path.Combine(TempDirectory, "in");
        var payload = new byte[300_000]; // several frames and credit windows
        new Random(5).NextBytes(payload);
        var archive = await TarOf(writer =>
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "dir/") { Mode = (UnixFileMode)0x1ed });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "dir/run.sh")
                { Mode = (UnixFileMode)0x1e9, ModificationTime = new DateTimeOffset(2021, 3, 4, 5, 6, 7, TimeSpan.Zero), DataStream = new MemoryStream("echo hi\n"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "big.bin") { Mode = (UnixFileMode)0x1a4, DataStream = new MemoryStream(payload) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "link") { LinkName = "dir/run.sh" });
        });

        await Agent.WriteArchiveAsync(source, archive, Deadline);

        Assert.Equal((UnixFileMode)0x1e9, File.GetUnixFileMode(Path.Combine(source, "dir", "run.sh")));
        Assert.Equal(new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc), File.GetLastWriteTimeUtc(Path.Combine(source, "dir", "run.sh")));
        Assert.Equal(payload, await File.ReadAllBytesAsync(Path.Combine(source, "big.bin")));
        Assert.Equal("dir/run.sh", new FileInfo(Path.Combine(source, "link")).LinkTarget);

        await using var back = await Agent.ReadArchiveAsync(source, [], Deadline);
        var entries = await ReadTar(back);
        Assert.Equal(["big.bin", "dir/", "dir/run.sh", "link"], entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(payload, entries["big.bin"].Data);
        Assert.Equal(TarEntryType.SymbolicLink, entries["link"].Type);
        Assert.Equal("dir/run.sh", entries["link"].LinkName);
        Assert.Equal((UnixFileMode)0x1e9, entries["dir/run.sh"].Mode);
    }

    [Fact]
    public async Task Deletion_entries_remove_files_and_directories_without_following_links()
    {
        var root = Path.Combine(TempDirectory, "ws");
        var outside = Path.Combine(TempDirectory, "outside");
        Directory.CreateDirectory(Path.Combine(root, "gone"));
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Combine(root, "gone", "x"), "x");
        await File.WriteAllTextAsync(Path.Combine(root, "old.txt"), "old");
        await File.WriteAllTextAsync(Path.Combine(outside, "keep"), "keep");
        File.CreateSymbolicLink(Path.Combine(root, "to-outside"), outside);

        var archive = await TarOf(writer =>
        {
            foreach (var path in new[] { "gone", "old.txt", "to-outside", "never-existed" })
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path, new Dictionary<string, string> { [TreeArchive.DeleteAttribute] = "1" }));
        });
        await Agent.WriteArchiveAsync(root, archive, Deadline);

        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
        Assert.True(File.Exists(Path.Combine(outside, "keep")));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/etc/escape")]
    [InlineData("a/../../escape")]
    public async Task An_archive_entry_outside_the_root_is_refused_and_writes_nothing(string name)
    {
        var root = Path.Combine(TempDirectory, "ws");
        var archive = await TarOf(writer =>
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("x"u8.ToArray()) }));

        var error = await Assert.ThrowsAsync<AgentException>(() => Agent.WriteArchiveAsync(root, archive, Deadline));

        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.False(File.Exists(Path.Combine(TempDirectory, "escape")));
        Assert.False(File.Exists("/etc/escape"));
    }

    [Fact]
    public async Task The_manifest_names_file_content_by_git_blob_id_and_skips_excluded_names()
    {
        var root = Path.Combine(TempDirectory, "ws");
        Directory.CreateDirectory(Path.Combine(root, ".git"));
        Directory.CreateDirectory(Path.Combine(root, "src"));
        await File.WriteAllTextAsync(Path.Combine(root, ".git", "HEAD"), "ref");
        await File.WriteAllTextAsync(Path.Combine(root, "src", "a.txt"), "hello\n");
        await File.WriteAllBytesAsync(Path.Combine(root, "empty"), []);
        File.CreateSymbolicLink(Path.Combine(root, "link"), "src/a.txt");

        var entries = new List<TreeEntry>();
        await foreach (var entry in Agent.ReadTreeManifestAsync(root, [".git"], 100, Deadline))
            entries.Add(entry);

        Assert.Equal(["", "empty", "link", "src", "src/a.txt"], entries.Select(e => e.Path));
        Assert.Equal(TreeEntryKind.Directory, entries[0].Kind);
        // `printf 'hello\n' | git hash-object --stdin`, and git's id of the empty blob.
        Assert.Equal("ce013625030ba8dba906f756967f9e9ca394464a", entries.Single(e => e.Path == "src/a.txt").Hash);
        Assert.Equal("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", entries.Single(e => e.Path == "empty").Hash);
        var link = entries.Single(e => e.Path == "link");
        Assert.Equal(TreeEntryKind.SymbolicLink, link.Kind);
        Assert.Equal("src/a.txt", link.LinkTarget);
    }

    [Fact]
    public async Task A_manifest_past_its_entry_limit_fails_with_too_large()
    {
        var root = Path.Combine(TempDirectory, "many");
        Directory.CreateDirectory(root);
        for (var i = 0; i < 20; i++)
            await File.WriteAllTextAsync(Path.Combine(root, $"f{i}"), "");

        var error = await Assert.ThrowsAsync<AgentException>(async () =>
        {
            await foreach (var _ in Agent.ReadTreeManifestAsync(root, [], 10, Deadline)) { }
        });

        Assert.Equal(ErrorCode.TooLarge, error.Code);
    }

    [Fact]
    public async Task Archiving_a_missing_member_fails_with_not_found()
    {
        var error = await Assert.ThrowsAsync<AgentException>(async () =>
        {
            await using var stream = await Agent.ReadArchiveAsync(TempDirectory, ["missing"], Deadline);
            await stream.CopyToAsync(Stream.Null);
        });

        Assert.Equal(ErrorCode.NotFound, error.Code);
    }

    private static async Task<MemoryStream> TarOf(Action<TarWriter> write)
    {
        var stream = new MemoryStream();
        await using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
            write(writer);
        stream.Position = 0;
        return stream;
    }

    private static async Task<Dictionary<string, (TarEntryType Type, UnixFileMode Mode, string LinkName, byte[] Data)>> ReadTar(Stream stream)
    {
        var result = new Dictionary<string, (TarEntryType, UnixFileMode, string, byte[])>();
        await using var reader = new TarReader(stream);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            var data = new MemoryStream();
            if (entry.DataStream is not null)
                await entry.DataStream.CopyToAsync(data);
            result[entry.Name] = (entry.EntryType, entry.Mode, entry.LinkName, data.ToArray());
        }
        return result;
    }
}
