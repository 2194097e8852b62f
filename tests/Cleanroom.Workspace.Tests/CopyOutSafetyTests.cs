using System.Formats.Tar;
using Cleanroom.Backends;
using Cleanroom.Errors;

namespace Cleanroom.Workspace.Tests;

/// <summary>
/// Archives a hostile sandbox could send back: each is refused with path_unsafe and nothing lands
/// outside the destination (a canary directory beside it stays empty).
/// </summary>
public sealed class CopyOutSafetyTests : IDisposable
{
    private readonly string _top = Directory.CreateTempSubdirectory("cleanroom-copyout-").FullName;

    private string Destination => Path.Combine(_top, "dest");

    private string Canary => Path.Combine(_top, "canary");

    public CopyOutSafetyTests()
    {
        Directory.CreateDirectory(Destination);
        Directory.CreateDirectory(Canary);
    }

    public void Dispose() => Directory.Delete(_top, recursive: true);

    public static TheoryData<string, Action<TarWriter>> HostileArchives => new()
    {
        { "dot-dot", w => File(w, "../canary/evil") },
        { "absolute", w => File(w, "/tmp/cleanroom-evil-absolute") },
        { "dot-dot inside", w => File(w, "a/../../canary/evil") },
        { "link out absolute", w => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "out") { LinkName = "/etc" }) },
        { "link out relative", w => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "out") { LinkName = "../canary" }) },
        { "link then write through it", w =>
            {
                w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "sub/up") { LinkName = "../.." });
                File(w, "sub/up/canary/evil");
            }
        },
        { "hard link", w => w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "hl") { LinkName = "/etc/passwd" }) },
        { "device", w => w.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "dev") { DeviceMajor = 1, DeviceMinor = 3 }) },
        { "fifo", w => w.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "fifo")) },
    };

    [Theory]
    [MemberData(nameof(HostileArchives))]
    public async Task A_hostile_archive_is_refused_and_writes_nothing_outside(string kind, Action<TarWriter> build)
    {
        var archive = Tar(build);
        var writer = new LocalTreeWriter(Destination, forbidGitDirectory: false);

        var error = await Assert.ThrowsAsync<CleanroomException>(() =>
            SandboxArchiveExtractor.ExtractAsync(archive, writer, name => name, long.MaxValue, CancellationToken.None));

        Assert.True(error.Code == ErrorCode.PathUnsafe, $"{kind}: {error.Code} {error.Message}");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Canary));
        Assert.False(System.IO.File.Exists("/tmp/cleanroom-evil-absolute"));
    }

    [Fact]
    public async Task A_symbolic_link_already_in_the_destination_is_not_written_through()
    {
        Directory.CreateSymbolicLink(Path.Combine(Destination, "linked"), Canary);
        var archive = Tar(w => File(w, "linked/evil"));

        var error = await Assert.ThrowsAsync<CleanroomException>(() =>
            SandboxArchiveExtractor.ExtractAsync(archive, new LocalTreeWriter(Destination, false), name => name, long.MaxValue, CancellationToken.None));

        Assert.Equal(ErrorCode.PathUnsafe, error.Code);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Canary));
    }

    [Fact]
    public async Task Workspace_copy_out_never_writes_into_dot_git()
    {
        var archive = Tar(w => File(w, ".git/hooks/post-checkout"));

        var error = await Assert.ThrowsAsync<CleanroomException>(() =>
            SandboxArchiveExtractor.ExtractAsync(archive, new LocalTreeWriter(Destination, forbidGitDirectory: true), name => name, long.MaxValue, CancellationToken.None));

        Assert.Equal(ErrorCode.PathUnsafe, error.Code);
        Assert.False(Directory.Exists(Path.Combine(Destination, ".git")));
    }

    [Fact]
    public async Task An_archive_larger_than_the_limit_stops_with_too_large()
    {
        var archive = Tar(w =>
        {
            for (var i = 0; i < 5; i++)
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"f{i}") { DataStream = new MemoryStream(new byte[1000]) });
        });

        var error = await Assert.ThrowsAsync<CleanroomException>(() =>
            SandboxArchiveExtractor.ExtractAsync(archive, new LocalTreeWriter(Destination, false), name => name, 2500, CancellationToken.None));

        Assert.Equal(ErrorCode.TooLarge, error.Code);
    }

    [Fact]
    public async Task Plan_refuses_a_change_under_a_link_the_sandbox_made()
    {
        var changes = new List<WorkspaceChange>
        {
            new(WorkspaceChangeKind.Added, "src", null, new WorkspaceEntry("src", GuestEntryKind.SymbolicLink, false, "x", "other")),
            new(WorkspaceChangeKind.Added, "src/file", null, new WorkspaceEntry("src/file", GuestEntryKind.File, false, "y", "")),
        };

        var error = await Assert.ThrowsAsync<CleanroomException>(() => CopyOutPlan.BuildAsync(changes,
            new LocalTreeWriter(Destination, true), _ => Task.FromResult<IReadOnlySet<string>>(new HashSet<string>()), CancellationToken.None));

        Assert.Equal(ErrorCode.PathUnsafe, error.Code);
    }

    [Fact]
    public async Task Modes_and_mtimes_survive_extraction_but_setuid_does_not()
    {
        var archive = Tar(w => w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "tool")
        {
            Mode = (UnixFileMode)0xDED, // setuid + setgid + 0755
            ModificationTime = new DateTimeOffset(2019, 1, 2, 3, 4, 5, TimeSpan.Zero),
            DataStream = new MemoryStream("x"u8.ToArray()),
        }));

        await SandboxArchiveExtractor.ExtractAsync(archive, new LocalTreeWriter(Destination, false), name => name, long.MaxValue, CancellationToken.None);

        var path = Path.Combine(Destination, "tool");
        Assert.Equal((UnixFileMode)0x1ED, System.IO.File.GetUnixFileMode(path));
        Assert.Equal(new DateTime(2019, 1, 2, 3, 4, 5, DateTimeKind.Utc), System.IO.File.GetLastWriteTimeUtc(path));
    }

    private static void File(TarWriter writer, string name) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("evil"u8.ToArray()) });

    private static MemoryStream Tar(Action<TarWriter> build)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
            build(writer);
        stream.Position = 0;
        return stream;
    }
}
