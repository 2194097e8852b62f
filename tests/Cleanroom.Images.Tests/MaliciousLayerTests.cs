using Cleanroom.Errors;
using Cleanroom.Images.Layers;

namespace Cleanroom.Images.Tests;

/// <summary>
/// Every malicious tarball is refused twice over: at import, before anything is stored, and by the unpacker on
/// its own (which is what guards layers pulled from a registry). Both must name the entry and write nothing
/// outside the target.
/// </summary>
public sealed class MaliciousLayerTests : IDisposable
{
    private readonly TestDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Theory]
    [MemberData(nameof(MaliciousLayerCases.All), MemberType = typeof(MaliciousLayerCases))]
    public async Task Import_refuses_the_tarball_naming_the_entry_and_stores_nothing(string name)
    {
        var (tar, entry, reason) = MaliciousLayerCases.Build(name, dir.Outside);
        var store = dir.OpenStore();

        var error = await Assert.ThrowsAsync<CleanroomException>(() => store.ImportAsync("evil", tar.ToStream()));

        Assert.Equal(ErrorCode.LayerUnsafe, error.Code);
        Assert.Contains($"layer entry \"{entry}", error.Message);
        Assert.Contains(reason, error.Message);
        Assert.Empty(store.List());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.StoreRoot, "blobs", "sha256")));
        dir.AssertOutsideUntouched();
    }

    [Theory]
    [MemberData(nameof(MaliciousLayerCases.All), MemberType = typeof(MaliciousLayerCases))]
    public async Task The_unpacker_refuses_the_layer_naming_the_entry_and_writes_nothing_outside(string name)
    {
        var (tar, entry, reason) = MaliciousLayerCases.Build(name, dir.Outside);
        var unpacker = new LayerUnpacker(dir.NewDirectory("target"));

        var error = await Assert.ThrowsAsync<CleanroomException>(() => unpacker.ApplyAsync(tar.ToStream(), CancellationToken.None));

        Assert.Equal(ErrorCode.LayerUnsafe, error.Code);
        Assert.Contains($"layer entry \"{entry}", error.Message);
        dir.AssertOutsideUntouched();
        Assert.False(File.Exists("/etc/x"));
    }

    [Fact]
    public async Task A_later_layer_cannot_write_through_a_symlink_an_earlier_layer_made()
    {
        var unpacker = new LayerUnpacker(dir.NewDirectory("target"));
        await unpacker.ApplyAsync(new TarBuilder().Symlink("bin", dir.Outside).ToStream(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<CleanroomException>(() =>
            unpacker.ApplyAsync(new TarBuilder().File("bin/evil", "x").ToStream(), CancellationToken.None));

        Assert.Equal(ErrorCode.LayerUnsafe, error.Code);
        Assert.Contains("layer entry \"bin/evil\"", error.Message);
        Assert.Contains("bin, which is a symlink", error.Message);
        dir.AssertOutsideUntouched();
    }

    [Fact]
    public async Task A_later_layer_cannot_hardlink_to_a_symlink_an_earlier_layer_made()
    {
        var secret = Path.Combine(dir.NewDirectory("precious"), "secret");
        File.WriteAllText(secret, "host data");
        var target = dir.NewDirectory("target");
        var unpacker = new LayerUnpacker(target);
        await unpacker.ApplyAsync(new TarBuilder().Symlink("s", secret).ToStream(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<CleanroomException>(() =>
            unpacker.ApplyAsync(new TarBuilder().HardLink("h", "s").ToStream(), CancellationToken.None));

        Assert.Contains("layer entry \"h\"", error.Message);
        Assert.Contains("not a regular file", error.Message);
        Assert.False(File.Exists(Path.Combine(target, "h")));
    }

    [Fact]
    public async Task A_whiteout_under_a_symlink_is_refused_and_deletes_nothing_it_points_at()
    {
        var precious = dir.NewDirectory("precious");
        File.WriteAllText(Path.Combine(precious, "keep"), "host data");
        var unpacker = new LayerUnpacker(dir.NewDirectory("target"));
        await unpacker.ApplyAsync(new TarBuilder().Symlink("p", precious).ToStream(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<CleanroomException>(() =>
            unpacker.ApplyAsync(new TarBuilder().File("p/.wh.keep").ToStream(), CancellationToken.None));
        await unpacker.ApplyAsync(new TarBuilder().File("p/.wh..wh..opq").ToStream(), CancellationToken.None);

        Assert.Contains("layer entry \"p/.wh.keep\"", error.Message);
        Assert.True(File.Exists(Path.Combine(precious, "keep")));
    }

    [Fact]
    public async Task A_file_replacing_a_symlink_replaces_the_link_and_never_writes_where_it_pointed()
    {
        var target = dir.NewDirectory("target");
        var unpacker = new LayerUnpacker(target);
        var aimedAt = Path.Combine(dir.Outside, "passwd");
        await unpacker.ApplyAsync(new TarBuilder().Directory("etc").Symlink("etc/passwd", aimedAt).ToStream(), CancellationToken.None);

        await unpacker.ApplyAsync(new TarBuilder().File("etc/passwd", "root:x:0:0::/root:/bin/sh\n").ToStream(), CancellationToken.None);
        await unpacker.ApplyAsync(new TarBuilder().Symlink("etc/group", aimedAt).File("etc/group", "root:x:0:\n").ToStream(), CancellationToken.None);
        unpacker.Finish();

        dir.AssertOutsideUntouched();
        Assert.Null(new FileInfo(Path.Combine(target, "etc/passwd")).LinkTarget);
        Assert.Equal("root:x:0:\n", File.ReadAllText(Path.Combine(target, "etc/group")));
    }

    [Fact]
    public async Task Finishing_does_not_change_modes_through_a_symlink_that_replaced_a_directory()
    {
        var precious = dir.NewDirectory("precious");
        var keep = Directory.CreateDirectory(Path.Combine(precious, "keep")).FullName;
        File.SetUnixFileMode(keep, (UnixFileMode)0b111_101_101);
        var unpacker = new LayerUnpacker(dir.NewDirectory("target"));
        await unpacker.ApplyAsync(new TarBuilder().Directory("a").Directory("a/keep", (UnixFileMode)0b111_000_000).ToStream(), CancellationToken.None);
        await unpacker.ApplyAsync(new TarBuilder().Symlink("a", precious).ToStream(), CancellationToken.None);

        unpacker.Finish();

        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(keep));
    }
}
