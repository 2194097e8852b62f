using System.Globalization;
using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Qemu.Disks;

/// <summary>A sandbox's own disk: a qcow2 overlay over the image's ext4, and how far the guest must grow its file system.</summary>
internal sealed record SandboxDiskPlan(long VirtualSizeBytes, long? ResizeBlocks);

/// <summary>
/// Makes the copy-on-write disk each sandbox writes to: <c>qemu-img create -f qcow2 -F raw -b base.ext4</c>. The
/// shared base is never written; the overlay lives in the sandbox's run directory and goes with it, so writes
/// persist for the sandbox's life and vanish on terminate.
/// <para>
/// Size: a requested disk larger than the image's file system makes the overlay that large, and the guest
/// grows the file system online at boot (one ioctl; see kernel/README.md for its cost). Smaller than the image
/// cannot be honoured and is refused. No request means the image's own size (content plus headroom).
/// </para>
/// </summary>
internal sealed class SandboxDisk(ProgramRunner runner, TimeSpan timeout)
{
    public static SandboxDiskPlan Plan(Ext4Image image, long? requestedBytes)
    {
        if (requestedBytes is not { } requested)
            return new SandboxDiskPlan(image.SizeBytes, null);
        var blocks = requested / Ext4ImageBuilder.BlockSize;
        var size = blocks * Ext4ImageBuilder.BlockSize;
        if (size < image.SizeBytes)
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"a disk of {requested} bytes is smaller than the image's file system ({image.SizeBytes} bytes); ask for at least that much or leave the disk size unset");
        return size == image.SizeBytes ? new SandboxDiskPlan(size, null) : new SandboxDiskPlan(size, blocks);
    }

    public async Task CreateAsync(Ext4Image image, SandboxDiskPlan plan, string overlayPath, CancellationToken cancellationToken)
    {
        await runner.RunAsync(
        [
            "qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", image.Path, overlayPath,
            plan.VirtualSizeBytes.ToString(CultureInfo.InvariantCulture),
        ], timeout, cancellationToken).ConfigureAwait(false);
    }
}
