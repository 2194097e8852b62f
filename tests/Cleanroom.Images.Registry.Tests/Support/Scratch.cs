namespace Cleanroom.Images.Registry.Tests.Support;

/// <summary>A temporary directory per test (store, rootfs cache, image layouts), always deleted.</summary>
public sealed class Scratch : IDisposable
{
    public Scratch() => Root = Directory.CreateTempSubdirectory("cleanroom-registry-test-").FullName;

    public string Root { get; }

    public string StoreRoot => Path.Combine(Root, "store");

    public ImageStore OpenStore() => new(new ImageStoreOptions(StoreRoot, Path.Combine(Root, "rootfs")));

    public string NewDirectory(string name) => Directory.CreateDirectory(Path.Combine(Root, name)).FullName;

    public void Dispose()
    {
        if (!Directory.Exists(Root))
        {
            return;
        }

        // Unpacked trees keep their images' modes (some read-only); open them up before deleting.
        foreach (var directory in Directory.EnumerateDirectories(Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.Delete(Root, recursive: true);
    }
}
