using Cleanroom.Backends.Conformance;

namespace Cleanroom.Backends.Qemu.Tests.Support;

/// <summary>
/// What the VM tests need: root (QEMU's sandboxing, device nodes in images), QEMU itself, and a guest kernel that
/// exists or can be built (scripts/build-kernel.sh installs its sources with apt, so root with apt is enough).
/// CI installs everything, so there nothing skips.
/// </summary>
public sealed class QemuRequirements : IBackendRequirements
{
    public string? Missing()
    {
        if (!Environment.IsPrivilegedProcess)
            return "needs root: images are unpacked with their owners and QEMU runs sandboxed";
        if (RepositoryPaths.FindOnPath("qemu-system-x86_64") is null)
            return "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86 qemu-utils)";
        if (RepositoryPaths.FindOnPath("qemu-img") is null || RepositoryPaths.FindOnPath("mkfs.ext4") is null)
            return "qemu-img or mkfs.ext4 is missing (apt-get install qemu-utils e2fsprogs)";
        if (KernelBuilt() is null && RepositoryPaths.FindOnPath("apt-get") is null && !File.Exists("/usr/src/linux-source-6.1.tar.xz"))
            return "no guest kernel was built and none can be: scripts/build-kernel.sh needs Debian's linux-source-6.1 (apt)";
        return null;
    }

    /// <summary>The kernel scripts/build-kernel.sh last built, if any.</summary>
    public static string? KernelBuilt()
    {
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return QemuBackendOptions.BuiltKernel(Path.Combine(dataHome, "cleanroom"));
    }
}
