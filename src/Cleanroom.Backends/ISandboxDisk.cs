namespace Cleanroom.Backends;

/// <summary>
/// How full a sandbox's own disk (its writable layer) is. Implemented by the provisioned sandboxes of backends that can
/// read it cheaply (a statfs, not a walk of the tree); the control plane reads it when an execution ends to report a
/// full disk. A backend may enforce <see cref="CapabilityNames.DiskLimit"/> without implementing this.
/// </summary>
public interface ISandboxDisk
{
    /// <summary>The usage now, or null when the sandbox's disk is gone (terminated meanwhile). Never blocks for long.</summary>
    SandboxDiskUsage? ReadDiskUsage();
}

/// <summary>
/// One reading of a sandbox's disk: the limit it was given, and what its file system says is used and still free
/// (the file system's own metadata makes used + available a little less than the limit).
/// </summary>
public sealed record SandboxDiskUsage(long LimitBytes, long UsedBytes, long AvailableBytes)
{
    /// <summary>
    /// Full enough that the next write may fail with ENOSPC: less than 1% of the limit is left, counted as at least
    /// 1 MiB (small disks) and at most 64 MiB (a 1 TiB disk with 10 GiB left is not full).
    /// </summary>
    public bool IsNearlyFull => AvailableBytes < Math.Clamp(LimitBytes / 100, 1L << 20, 64L << 20);
}
