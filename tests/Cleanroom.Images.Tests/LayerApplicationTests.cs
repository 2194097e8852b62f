using Cleanroom.Images.Layers;

namespace Cleanroom.Images.Tests;

/// <summary>How layers stack: later entries replace earlier ones, whiteouts delete lower content.</summary>
public sealed class LayerApplicationTests : IDisposable
{
    private readonly TestDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static IEnumerable<string> Tree(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(path => Path.GetRelativePath(root, path))
            .Order(StringComparer.Ordinal);

    [Fact]
    public async Task Whiteouts_and_opaque_directories_delete_lower_content_across_two_layers()
    {
        var target = dir.NewDirectory("target");
        var unpacker = new LayerUnpacker(target);
        await unpacker.ApplyAsync(new TarBuilder()
            .Directory("a").File("a/gone", "1").File("a/kept", "2")
            .Directory("d").File("d/old", "3").Directory("d/sub").File("d/sub/old", "4")
            .Directory("x").File("x/file", "5")
            .ToStream(), CancellationToken.None);

        await unpacker.ApplyAsync(new TarBuilder()
            .File("a/.wh.gone")
            .File("d/sub/new", "6")
            .File("d/.wh..wh..opq")
            .File("d/fresh", "7")
            .File(".wh.x")
            .ToStream(), CancellationToken.None);
        unpacker.Finish();

        Assert.Equal(["a", "a/kept", "d", "d/fresh", "d/sub", "d/sub/new"], Tree(target));
        Assert.Equal("6", File.ReadAllText(Path.Combine(target, "d/sub/new")));
    }

    [Fact]
    public async Task A_whiteout_does_not_delete_what_its_own_layer_wrote()
    {
        var target = dir.NewDirectory("target");
        var unpacker = new LayerUnpacker(target);

        await unpacker.ApplyAsync(new TarBuilder().File("f", "new").File(".wh.f").ToStream(), CancellationToken.None);

        Assert.Equal("new", File.ReadAllText(Path.Combine(target, "f")));
    }

    [Fact]
    public async Task A_later_layer_may_replace_a_directory_with_a_file_and_a_file_with_a_directory()
    {
        var target = dir.NewDirectory("target");
        var unpacker = new LayerUnpacker(target);
        await unpacker.ApplyAsync(new TarBuilder().Directory("was-dir").File("was-dir/child").File("was-file").ToStream(), CancellationToken.None);

        await unpacker.ApplyAsync(new TarBuilder().File("was-dir", "now a file").Directory("was-file").ToStream(), CancellationToken.None);
        unpacker.Finish();

        Assert.Equal("now a file", File.ReadAllText(Path.Combine(target, "was-dir")));
        Assert.True(Directory.Exists(Path.Combine(target, "was-file")));
    }

    [Fact]
    public async Task Modes_times_symlinks_hardlinks_and_the_sticky_bit_are_kept()
    {
        var target = dir.NewDirectory("target");
        var unpacker = new LayerUnpacker(target);

        await unpacker.ApplyAsync(TarBuilder.SmallRootfs()
            .Directory("ro", (UnixFileMode)0b101_101_101)
            .File("ro/file", "r", (UnixFileMode)0b100_000_000)
            .File("sticky-file", "s", (UnixFileMode)0b1_110_100_100)
            .ToStream(), CancellationToken.None);
        unpacker.Finish();

        Assert.Equal((UnixFileMode)0b1_111_111_111, File.GetUnixFileMode(Path.Combine(target, "tmp")));
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(target, "bin/tool")));
        Assert.Equal((UnixFileMode)0b101_101_101, File.GetUnixFileMode(Path.Combine(target, "ro")));
        Assert.Equal((UnixFileMode)0b100_000_000, File.GetUnixFileMode(Path.Combine(target, "ro/file")));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(Path.Combine(target, "sticky-file")));
        Assert.Equal("/bin/tool", new FileInfo(Path.Combine(target, "bin/sh")).LinkTarget);
        Assert.Equal(TarBuilder.FixedTime.UtcDateTime, File.GetLastWriteTimeUtc(Path.Combine(target, "etc/passwd")));
        Assert.Equal(TarBuilder.FixedTime.UtcDateTime, Directory.GetLastWriteTimeUtc(Path.Combine(target, "etc")));
        File.AppendAllText(Path.Combine(target, "etc/passwd"), "more\n");
        Assert.EndsWith("more\n", File.ReadAllText(Path.Combine(target, "etc/passwd-link")));
    }

    [Fact]
    public async Task A_hardlink_may_name_a_file_of_a_lower_layer()
    {
        var target = dir.NewDirectory("target");
        var unpacker = new LayerUnpacker(target);
        await unpacker.ApplyAsync(new TarBuilder().File("lower", "data").ToStream(), CancellationToken.None);

        await unpacker.ApplyAsync(new TarBuilder().HardLink("upper", "lower").ToStream(), CancellationToken.None);

        Assert.Equal("data", File.ReadAllText(Path.Combine(target, "upper")));
    }

    [Fact]
    public async Task Names_written_with_a_dot_slash_prefix_land_at_the_root_and_the_root_entry_sets_its_mode()
    {
        var target = dir.NewDirectory("target");
        var unpacker = new LayerUnpacker(target);

        await unpacker.ApplyAsync(new TarBuilder().Directory("./", (UnixFileMode)0b111_101_000).Directory("./etc").File("./etc/hostname", "box").ToStream(), CancellationToken.None);
        unpacker.Finish();

        Assert.Equal("box", File.ReadAllText(Path.Combine(target, "etc/hostname")));
        Assert.Equal((UnixFileMode)0b111_101_000, File.GetUnixFileMode(target));
    }
}
