namespace Cleanroom.Images.Tests;

/// <summary>
/// A scratch directory per test, with the layout every store test needs: the store root, the rootfs cache, and
/// a sibling "outside" directory that malicious layers aim at and that must stay empty. Always deleted.
/// </summary>
public sealed class TestDirectory : IDisposable
{
    public TestDirectory()
    {
        Root = Directory.CreateTempSubdirectory("cleanroom-images-test-").FullName;
        Directory.CreateDirectory(Outside);
    }

    public string Root { get; }

    public string StoreRoot => Path.Combine(Root, "store");

    public string CacheRoot => Path.Combine(Root, "cache");

    /// <summary>The canary: nothing a layer does may create anything in here.</summary>
    public string Outside => Path.Combine(Root, "outside");

    public ImageStore OpenStore() => new(new ImageStoreOptions(StoreRoot, CacheRoot));

    public string NewDirectory(string name)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    public void AssertOutsideUntouched() =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(Outside));

    public void Dispose()
    {
        // Images may leave read-only directories; make every directory writable before deleting.
        foreach (var directory in Directory.EnumerateDirectories(Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.Delete(Root, recursive: true);
    }
}
