using Cleanroom.Images;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server;

/// <summary>Where this host keeps images (XDG data) and their unpacked trees (XDG cache): one answer for server and CLI.</summary>
public static class HostImageStore
{
    public static ImageStore Open(HostDirectories directories) =>
        new(new ImageStoreOptions(Path.Combine(directories.DataHome, "images"), Path.Combine(directories.CacheHome, "rootfs")));
}
