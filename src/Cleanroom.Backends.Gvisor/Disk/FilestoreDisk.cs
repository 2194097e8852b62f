using System.Globalization;
using Cleanroom.Backends.Gvisor.Interop;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Backends.Gvisor.Disk;

/// <summary>
/// The size-limited disk under a sandbox's writable layer. runsc keeps everything the sandbox writes in one file it
/// makes in <see cref="SandboxLayout.FilestoreDirectory"/>, and nothing bounds that file; so that directory is made the
/// mount point of a file system of exactly the limit: a sparse ext4 image in the run directory on a loop device. A
/// write past it fails inside the sandbox with ENOSPC (gVisor allocates its file's blocks before it uses them: a
/// <c>write</c> gets ENOSPC and a store into a shared mapping gets SIGBUS, as on Linux; the sentry lives on), and
/// the host's file system grows by at most the image's size. Deleting in the sandbox gives the space back to the host
/// (runsc punches holes, <c>discard</c> passes them down to the image).
/// </summary>
internal sealed class FilestoreDisk(ProcessRunner runner, TimeSpan commandTimeout, ILogger logger)
{
    // Only runsc's one filestore file (and lost+found) ever lives here: a few inodes are plenty, and the space the
    // inode tables would take is the sandbox's. No journal: the disk dies with its sandbox, so crash consistency buys
    // nothing. No reserved blocks: the sandbox is the only user. Inode tables zeroed now (they are tiny), so no
    // kernel thread writes them later; no discard pass over an image that is all holes anyway.
    private static readonly string[] MkfsOptions =
        ["-q", "-F", "-b", "4096", "-N", "64", "-m", "0", "-O", "^has_journal,^resize_inode", "-E", "lazy_itable_init=0,nodiscard", "-L", "cleanroom"];

    // Not noexec: the sentry maps the sandbox's files from runsc's one file here, and a program the workload wrote (a
    // build's output, an installed tool) is mapped executable; on a noexec mount that mmap fails and the program dies
    // with SIGSEGV at its first instruction (GvisorDiskLimitTests runs one).
    private const nuint MountFlags = LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOATIME;

    /// <summary>
    /// Makes the disk: the image (sparse, <paramref name="bytes"/> long), its file system, a loop device, and the mount at
    /// the filestore directory. Any failure is <c>disk_limit_unavailable</c> naming the step and the fix; what was made
    /// by then is left for <see cref="Remove"/> (the launcher's teardown), except a loop device, which never outlives
    /// a failed mount (autoclear).
    /// </summary>
    public async Task CreateAsync(SandboxLayout layout, long bytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(layout.FilestoreDirectory);
        try
        {
            using (var image = new FileStream(layout.DiskImagePath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                image.SetLength(bytes); // sparse: the host pays only for what the sandbox writes
            }
        }
        catch (IOException e)
        {
            throw Unavailable(layout, bytes, $"cannot create {layout.DiskImagePath}: {e.Message}", e);
        }

        ProcessResult mkfs;
        try
        {
            mkfs = await runner.RunAsync(["mkfs.ext4", .. MkfsOptions, layout.DiskImagePath], commandTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (CleanroomException e)
        {
            throw Unavailable(layout, bytes, $"{e.Message}; install e2fsprogs (scripts/setup.sh does)", e);
        }
        if (!mkfs.Succeeded)
            throw Unavailable(layout, bytes, $"mkfs.ext4 exited with {mkfs.ExitCode}: {ProcessRunner.Tail(mkfs.Stderr)}", null);
        cancellationToken.ThrowIfCancellationRequested();

        LoopDevice loop;
        try
        {
            loop = LoopDevices.Attach(layout.DiskImagePath);
        }
        catch (SystemCallException e)
        {
            throw Unavailable(layout, bytes, $"{e.Message}; the server needs loop devices (/dev/loop-control, the loop module) and root", e);
        }
        using (loop)
        {
            try
            {
                // discard: space the sandbox frees (runsc punches holes in its file) is punched out of the image too.
                Mounts.MountExt4(loop.Path, layout.FilestoreDirectory, MountFlags, "discard");
            }
            catch (SystemCallException e)
            {
                throw Unavailable(layout, bytes, e.Message, e);
            }
        }
        logger.LogDebug("sandbox {SandboxId}: disk of {Size} on {Device} at {MountPoint}",
            layout.SandboxId, DiskLimit.Describe(bytes), loop.Path, layout.FilestoreDirectory);
    }

    /// <summary>
    /// Unmounts the disk and detaches its loop device, if there are any; the image goes with the run directory, which
    /// the caller removes next. Safe to repeat, and for a sandbox that never had a disk. A disk still in use (a runsc
    /// process not yet gone) is detached lazily and released, with its loop device, when that process exits.
    /// </summary>
    public static void Remove(SandboxLayout layout, ILogger logger)
    {
        // Unmounted whether or not the table lists it under this very spelling of the path (a symlink on the way).
        if (Directory.Exists(layout.FilestoreDirectory) && Mounts.Unmount(layout.FilestoreDirectory) == UnmountOutcome.Detached)
            logger.LogWarning("sandbox {SandboxId}: its disk was still in use; detached, it is released when the last user exits", layout.SandboxId);
        // Autoclear has detached the device by now, unless the unmount was lazy or the device was attached without it.
        var image = CanonicalPath.Of(layout.DiskImagePath);
        foreach (var loop in LoopDevices.BackedBy(file => file == image))
        {
            logger.LogInformation("sandbox {SandboxId}: detaching {Device}", layout.SandboxId, LoopDevices.PathOf(loop.Number));
            LoopDevices.Detach(loop.Number);
        }
    }

    /// <summary>
    /// The disk's usage now (one statfs), or null when the sandbox has no mounted disk any more. The limit is the image's
    /// size, so this also works for a sandbox this server did not make.
    /// </summary>
    public static SandboxDiskUsage? Usage(SandboxLayout layout)
    {
        try
        {
            var disk = FileSystemSpace.Of(layout.FilestoreDirectory);
            // Unmounted, the directory is on the host's file system: its numbers would not be the sandbox's.
            if (disk.FileSystemId == FileSystemSpace.Of(layout.RunDirectory).FileSystemId)
                return null;
            return new SandboxDiskUsage(new FileInfo(layout.DiskImagePath).Length, disk.UsedBytes, disk.AvailableBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // terminated meanwhile
        }
    }

    private static CleanroomException Unavailable(SandboxLayout layout, long bytes, string why, Exception? inner) =>
        new(ErrorCode.DiskLimitUnavailable,
            string.Create(CultureInfo.InvariantCulture, $"cannot make the {DiskLimit.Describe(bytes)} disk that limits what sandbox {layout.SandboxId} writes: {why}"),
            inner);
}
