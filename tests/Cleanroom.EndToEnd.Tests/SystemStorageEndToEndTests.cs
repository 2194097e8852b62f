using System.Text.Json;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// <c>system df</c> and <c>system prune</c> on a server with an image store of its own: a live sandbox (its image and
/// its directory are in use), an image nothing runs, a directory an ended sandbox left, a cached block archive. The
/// figures are the directories' own; a dry run changes nothing; prune removes what the dry run listed and nothing
/// the live sandbox needs.
/// </summary>
public sealed class SystemStorageEndToEndTests : IAsyncLifetime
{
    private RealServer _server = null!;

    public async Task InitializeAsync() => _server = await RealServer.StartAsync(ownImageStore: true);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Df_reports_the_directories_and_prune_removes_only_what_nothing_uses_after_a_dry_run_that_changes_nothing()
    {
        var busybox = Path.Combine(Product.RepositoryRoot, "out", "images", "busybox.tar");
        Assert.Equal(0, (await _server.CleanroomAsync("image", "import", "test.local/busybox:live", busybox)).ExitCode);
        var tiny = await TinyRootfsAsync();
        Assert.Equal(0, (await _server.CleanroomAsync("image", "import", "test.local/tiny:unused", tiny)).ExitCode);
        var created = await _server.CleanroomAsync("create", "--chdir", Path.Combine(Product.RepositoryRoot, "examples", "basic"), "--image", "test.local/busybox:live");
        Assert.True(created.ExitCode == 0, created.ToString());
        var live = created.Stdout.Trim();
        var cache = Path.Combine(_server.Root, "cache", "cleanroom");
        var leftover = Directory.CreateDirectory(Path.Combine(cache, "sandboxes", "cleanroom-sb-leftover0000")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(leftover, "upper.img"), new byte[300_000]);
        Directory.SetLastWriteTimeUtc(leftover, DateTime.UtcNow.AddHours(-1));
        var archive = Path.Combine(Directory.CreateDirectory(Path.Combine(cache, "blocks", "objects")).FullName, new string('a', 64) + ".tar");
        await File.WriteAllBytesAsync(archive, new byte[70_000]);

        var df = await JsonAsync("system", "df", "--json");
        var items = df.GetProperty("items").EnumerateArray().ToList();
        var leftoverItem = items.Single(i => i.GetProperty("name").GetString() == "sb-leftover0000");
        Assert.Equal("sandboxes", leftoverItem.GetProperty("category").GetString());
        Assert.Equal(await DiskUsageAsync(leftover), leftoverItem.GetProperty("size_bytes").GetInt64());
        Assert.True(leftoverItem.GetProperty("size_bytes").GetInt64() >= 300_000);
        Assert.False(leftoverItem.GetProperty("in_use").GetBoolean());
        var liveItem = items.Single(i => i.GetProperty("name").GetString() == live);
        Assert.True(liveItem.GetProperty("in_use").GetBoolean());
        Assert.True(liveItem.GetProperty("size_bytes").GetInt64() > 0); // a running sandbox's logs may grow: its figure is not compared
        Assert.Equal(await DiskUsageAsync(archive), items.Single(i => i.GetProperty("category").GetString() == "block_cache").GetProperty("size_bytes").GetInt64());
        Assert.True(items.Single(i => i.GetProperty("name").GetString()!.StartsWith("test.local/busybox:live@", StringComparison.Ordinal)).GetProperty("in_use").GetBoolean());
        Assert.False(items.Single(i => i.GetProperty("name").GetString()!.StartsWith("test.local/tiny:unused@", StringComparison.Ordinal)).GetProperty("in_use").GetBoolean());
        var human = await _server.CleanroomAsync("system", "df");
        Assert.Contains("RECLAIMABLE", human.Stdout);

        var imagesBefore = (await _server.CleanroomAsync("image", "ls", "--json")).Stdout;
        var dryRun = await JsonAsync("system", "prune", "--all", "--dry-run", "--json");
        var listed = Names(dryRun);
        Assert.Equal(imagesBefore, (await _server.CleanroomAsync("image", "ls", "--json")).Stdout);
        Assert.True(Directory.Exists(leftover) && File.Exists(archive), "a dry run removed something");
        Assert.Contains("sb-leftover0000", listed);
        Assert.Contains(new string('a', 64) + ".tar", listed);
        Assert.Contains(listed, n => n.StartsWith("test.local/tiny:unused@", StringComparison.Ordinal));
        Assert.DoesNotContain(live, listed);
        Assert.DoesNotContain(listed, n => n.StartsWith("test.local/busybox:live@", StringComparison.Ordinal));

        var pruned = await JsonAsync("system", "prune", "--all", "--json");
        Assert.Equal(listed, Names(pruned));
        Assert.False(Directory.Exists(leftover));
        Assert.False(File.Exists(archive));
        var imagesAfter = (await _server.CleanroomAsync("image", "ls")).Stdout;
        Assert.DoesNotContain("test.local/tiny", imagesAfter);
        Assert.Contains("test.local/busybox", imagesAfter);
        var stillRuns = await _server.CleanroomAsync("exec", "--in", live, "--", "echo", "alive");
        Assert.Equal("alive\n", stillRuns.Stdout);
    }

    private async Task<JsonElement> JsonAsync(params string[] args)
    {
        var run = await _server.CleanroomAsync(args);
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Stdout).RootElement.Clone();
    }

    private static List<string> Names(JsonElement pruneResult) =>
        pruneResult.GetProperty("removed").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).OrderBy(n => n, StringComparer.Ordinal).ToList();

    /// <summary>Allocated bytes of the files under a path on its own file system, as <c>du</c> counts them (less directories' own blocks).</summary>
    private static async Task<long> DiskUsageAsync(string path)
    {
        var files = await Shell.CheckAsync("find", path, "-xdev", "-type", "f", "-printf", "%b\n");
        return files.Split('\n', StringSplitOptions.RemoveEmptyEntries).Sum(long.Parse) * 512;
    }

    /// <summary>A root filesystem of one file: an image whose digest no other image shares.</summary>
    private async Task<string> TinyRootfsAsync()
    {
        var root = Directory.CreateDirectory(Path.Combine(_server.Root, "tiny-rootfs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(root, "marker"), Guid.NewGuid().ToString());
        var tar = Path.Combine(_server.Root, "tiny.tar");
        await Shell.CheckAsync("tar", "-C", root, "-cf", tar, "marker");
        return tar;
    }
}
