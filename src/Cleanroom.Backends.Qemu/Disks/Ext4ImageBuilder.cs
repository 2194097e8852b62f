using System.Collections.Concurrent;
using System.Globalization;
using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Images;

namespace Cleanroom.Backends.Qemu.Disks;

/// <summary>A materialised image disk: a raw ext4 file shared read-only by every sandbox of the image.</summary>
internal sealed record Ext4Image(string Path, long SizeBytes);

/// <summary>
/// The ext4 materialiser: turns an image's unpacked tree (<see cref="ImageStore.MaterialiseAsync"/>) into a raw
/// ext4 disk with <c>mkfs.ext4 -d</c>, which copies a directory into a new file system without mounting
/// anything. One disk per manifest digest at <c>&lt;cache&gt;/ext4/&lt;hex&gt;.ext4</c>, built in a temporary file
/// and renamed into place when complete, so its presence means it is whole. Sandboxes never write to it:
/// each gets a qcow2 overlay (<see cref="SandboxDisk"/>).
/// </summary>
internal sealed class Ext4ImageBuilder(ImageStore images, string cacheRoot, ProgramRunner runner, TimeSpan timeout)
{
    /// <summary>Free space in the image's own disk beyond its content. The file is sparse: unused space costs nothing on the host.</summary>
    public const long Headroom = 1L << 30;

    public const int BlockSize = 4096;

    // One build per image at a time in this process; the rename makes concurrent processes safe too.
    private readonly ConcurrentDictionary<string, Lazy<Task<Ext4Image>>> _builds = new(StringComparer.Ordinal);

    public string Directory { get; } = System.IO.Path.Combine(System.IO.Path.GetFullPath(cacheRoot), "ext4");

    public async Task<Ext4Image> EnsureAsync(string imageReference, CancellationToken cancellationToken)
    {
        var image = images.Resolve(imageReference);
        var path = System.IO.Path.Combine(Directory, image.ManifestDigest.Hex + ".ext4");
        if (File.Exists(path))
            return new Ext4Image(path, new FileInfo(path).Length);
        var build = _builds.GetOrAdd(path, _ => new Lazy<Task<Ext4Image>>(() => BuildAsync(imageReference, path)));
        try
        {
            // A waiter that gives up does not cancel the shared build; the next caller finds it done.
            return await build.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (build.Value.IsCompleted)
                _builds.TryRemove(new KeyValuePair<string, Lazy<Task<Ext4Image>>>(path, build));
        }
    }

    private async Task<Ext4Image> BuildAsync(string imageReference, string path)
    {
        var rootfs = await images.MaterialiseAsync(imageReference, CancellationToken.None).ConfigureAwait(false);
        var content = TreeUsage.Measure(rootfs);
        var size = RoundUp((long)(content.Bytes * 1.2) + Headroom, 1L << 20);
        // Room for as many new files again as the image holds, and never fewer than 16k inodes.
        var inodes = Math.Max(16384, content.Entries * 2 + 4096);

        System.IO.Directory.CreateDirectory(Directory);
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
                file.SetLength(size); // sparse: only what mkfs writes takes space
            await runner.RunAsync(
            [
                "mkfs.ext4", "-q", "-F", "-b", BlockSize.ToString(CultureInfo.InvariantCulture),
                "-N", inodes.ToString(CultureInfo.InvariantCulture),
                // No reserved blocks (nobody but the workload uses this disk) and no journal: the disk lives only
                // as long as its sandbox, so crash consistency buys nothing and a journal costs writes.
                "-m", "0", "-O", "^has_journal",
                // Inode tables zeroed now, on the host, rather than by a kernel thread in every guest.
                "-E", "lazy_itable_init=0,root_owner=0:0",
                "-L", "cleanroom", "-d", rootfs, temporary,
            ], timeout, CancellationToken.None).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
            return new Ext4Image(path, size);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static long RoundUp(long value, long unit) => (value + unit - 1) / unit * unit;
}
