using Xunit.Abstractions;

namespace Cleanroom.Images.Tests;

/// <summary>
/// Imports the real busybox image that scripts/build-images.sh builds (in seconds), when it has been built;
/// otherwise says so and passes, as this suite must run without root or apt.
/// </summary>
public sealed class DefaultImageTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static string? BuiltImage(string file)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Cleanroom.slnx")))
            {
                var path = Path.Combine(directory.FullName, "out", "images", file);
                return File.Exists(path) ? path : null;
            }
        }

        return null;
    }

    [Fact]
    public async Task The_built_busybox_image_imports_and_unpacks_with_its_shell_and_sticky_tmp()
    {
        var tar = BuiltImage("busybox.tar");
        if (tar is null)
        {
            output.WriteLine("SKIPPED: out/images/busybox.tar is not built; run scripts/build-images.sh out/images busybox");
            return;
        }

        var store = dir.OpenStore();
        await using var input = File.OpenRead(tar);
        var image = await store.ImportAsync("cleanroom/busybox", input);
        var root = await store.MaterialiseAsync(image.ManifestDigest.ToString());

        Assert.Equal("/bin/busybox", new FileInfo(Path.Combine(root, "bin/sh")).LinkTarget);
        Assert.True(new FileInfo(Path.Combine(root, "bin/busybox")).Length > 100_000);
        Assert.Equal((UnixFileMode)0b1_111_111_111, File.GetUnixFileMode(Path.Combine(root, "tmp")));
        Assert.Contains("root:x:0:0", File.ReadAllText(Path.Combine(root, "etc/passwd")));
        output.WriteLine($"busybox.tar imported as {image.Reference}");
    }
}
