using Cleanroom.Backends.Gvisor.Interop;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Gvisor.Disk;

/// <summary>
/// Sandbox disks a crashed server left behind: mounts inside our run directories (<c>&lt;sandbox root&gt;/cleanroom-*</c>)
/// and loop devices whose backing file is an image there (also one already deleted, which sysfs still names). Found by
/// that prefix alone, so it finds them whatever state the server died in.
/// </summary>
internal static class DiskLeftovers
{
    /// <summary>
    /// Unmounts and detaches every leftover disk except those of the sandboxes in <paramref name="keep"/> (re-adopted
    /// ones), and returns the ids of the sandboxes whose disks it removed. One that cannot be removed is logged and
    /// skipped, so one bad leftover does not keep the rest.
    /// </summary>
    public static IReadOnlyList<string> Remove(string sandboxRoot, IReadOnlySet<string> keep, ILogger logger)
    {
        // The kernel names mount points and backing files with every symlink resolved.
        var root = CanonicalPath.Of(sandboxRoot);
        var removed = new SortedSet<string>(StringComparer.Ordinal);
        // Deepest first, so nothing is unmounted from under a mount on top of it.
        foreach (var mountPoint in Mounts.MountPoints().Reverse())
        {
            if (SandboxIdOf(root, mountPoint) is not { } sandboxId || keep.Contains(sandboxId))
                continue;
            Try(() =>
            {
                logger.LogInformation("unmounting leftover sandbox disk {MountPoint}", mountPoint);
                Mounts.Unmount(mountPoint);
                removed.Add(sandboxId);
            }, mountPoint, logger);
        }
        foreach (var loop in LoopDevices.BackedBy(file => SandboxIdOf(root, file) is { } id && !keep.Contains(id)))
        {
            Try(() =>
            {
                logger.LogInformation("detaching leftover loop device {Device} of {Image}", LoopDevices.PathOf(loop.Number), loop.BackingFile);
                LoopDevices.Detach(loop.Number);
                removed.Add(SandboxIdOf(root, loop.BackingFile)!);
            }, loop.BackingFile, logger);
        }
        return removed.ToList();
    }

    /// <summary>The sandbox whose run directory (<c>&lt;root&gt;/cleanroom-&lt;id&gt;/…</c>) holds <paramref name="path"/>, or null.</summary>
    internal static string? SandboxIdOf(string root, string path)
    {
        if (!path.StartsWith(root + "/", StringComparison.Ordinal))
            return null;
        var rest = path[(root.Length + 1)..];
        var slash = rest.IndexOf('/');
        return slash <= 0 ? null : SandboxLayout.SandboxIdOf(rest[..slash]);
    }

    private static void Try(Action step, string what, ILogger logger)
    {
        try
        {
            step();
        }
        catch (IOException e)
        {
            logger.LogWarning(e, "could not remove leftover sandbox disk {What}", what);
        }
    }
}
