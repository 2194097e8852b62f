namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>Everything one QEMU process is started with. Plain data; <see cref="QemuCommandLine"/> turns it into argv.</summary>
internal sealed record VmLaunchSpec
{
    /// <summary>Also QEMU's <c>-name</c> (<c>cleanroom-&lt;id&gt;</c>), which is how leftovers are found after a restart.</summary>
    public required string SandboxId { get; init; }
    public required string QemuBinary { get; init; }
    public required Accelerator Accelerator { get; init; }
    public required int Vcpus { get; init; }
    public required int MemoryMib { get; init; }
    public required string KernelPath { get; init; }
    public required string InitramfsPath { get; init; }
    public required string ConsoleLogPath { get; init; }
    public required string PidFilePath { get; init; }
    /// <summary>The sandbox's qcow2 overlay, or null for a boot without a disk (the accelerator probe).</summary>
    public string? DiskPath { get; init; }
    /// <summary>Grow the root file system to this many 4 KiB blocks at boot (the disk is bigger than the image's file system).</summary>
    public long? ResizeBlocks { get; init; }
    /// <summary>Fresh random bytes for the guest's entropy pool, as hex.</summary>
    public required string EntropySeedHex { get; init; }
    /// <summary>A boot that only proves the kernel starts: init prints a marker and the VM ends.</summary>
    public bool Probe { get; init; }
    public string? RunAsUser { get; init; }
    /// <summary>The host's TSC rate, which an emulated guest is told (see <see cref="Host.HostTsc"/>); null to let it calibrate.</summary>
    public long? GuestTscKhz { get; init; } = Host.HostTsc.Khz;
    public GuestNetworkAttachment? Network { get; init; }
}
