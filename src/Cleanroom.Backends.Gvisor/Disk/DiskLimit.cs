using Cleanroom.Backends.Gvisor.Interop;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor.Disk;

/// <summary>
/// The size a sandbox's disk gets: <see cref="Bytes"/>, and when the host could not spare what was asked for, what was
/// asked for (<see cref="CappedFrom"/>) so the caller can say so.
/// </summary>
internal sealed record DiskLimit(long Bytes, long? CappedFrom)
{
    /// <summary>The smallest disk a sandbox gets: ext4 and runsc's overlay need a little, and less is a typo.</summary>
    public const long MinimumBytes = 16L << 20;

    /// <summary>Sizes are whole MiB (the file system's blocks are 4 KiB; a ragged end would be wasted).</summary>
    private const long Unit = 1L << 20;

    /// <summary>
    /// Decides a sandbox's disk size: <paramref name="requestedBytes"/> (the policy's <c>resources.disk</c>) or else
    /// <paramref name="defaultBytes"/> (<c>backends.gvisor.default_disk_mib</c>), and never more than the host can spare
    /// on the file system of <paramref name="root"/> (its <paramref name="space"/>): a larger wish is capped to that.
    /// Fails closed: a request under <see cref="MinimumBytes"/> is <c>invalid_argument</c>; a host that cannot spare even
    /// that is <c>disk_limit_unavailable</c>.
    /// </summary>
    public static DiskLimit Decide(long? requestedBytes, long defaultBytes, string root, FileSystemSpace space)
    {
        if (requestedBytes is < MinimumBytes)
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"a gVisor sandbox's disk must be at least {Describe(MinimumBytes)}, not {requestedBytes} bytes; raise resources.disk in the policy");
        var wanted = RoundDown(requestedBytes ?? defaultBytes);
        var spare = Spare(space.TotalBytes, space.AvailableBytes);
        if (spare < MinimumBytes)
            throw new CleanroomException(ErrorCode.DiskLimitUnavailable,
                $"the host cannot spare a disk for a sandbox: {root} has {Describe(space.AvailableBytes)} free and {Describe(Reserve(space.TotalBytes))} of it "
                + $"is kept for the host, leaving less than the {Describe(MinimumBytes)} a sandbox needs at least; free space on that file system");
        return wanted <= spare ? new DiskLimit(wanted, null) : new DiskLimit(RoundDown(spare), wanted);
    }

    /// <summary>
    /// <see cref="Decide"/> against the file system of <paramref name="root"/> as it is now (made if missing). A root
    /// whose space cannot be read is <c>disk_limit_unavailable</c> too: a limit that cannot be checked is not given.
    /// </summary>
    public static DiskLimit ForRoot(long? requestedBytes, long defaultBytes, string root)
    {
        FileSystemSpace space;
        try
        {
            Directory.CreateDirectory(root);
            space = FileSystemSpace.Of(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CleanroomException(ErrorCode.DiskLimitUnavailable, $"cannot read the free space of {root}, where sandbox disks are made: {e.Message}", e);
        }
        return Decide(requestedBytes, defaultBytes, root, space);
    }

    /// <summary>
    /// What sandboxes may take of a file system with <paramref name="availableBytes"/> free: all of it but a reserve for
    /// the host itself (5% of the file system, at least 1 GiB), so that one sandbox filling its disk never fills the host's.
    /// </summary>
    public static long Spare(long totalBytes, long availableBytes) => Math.Max(0, availableBytes - Reserve(totalBytes));

    private static long Reserve(long totalBytes) => Math.Max(1L << 30, totalBytes / 20);

    private static long RoundDown(long bytes) => bytes / Unit * Unit;

    public static string Describe(long bytes) => bytes >= 1L << 30 && bytes % (1L << 30) == 0
        ? $"{bytes >> 30} GiB"
        : $"{bytes >> 20} MiB";
}
