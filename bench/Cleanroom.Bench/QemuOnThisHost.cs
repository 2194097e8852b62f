using System.Text.Json;
using Cleanroom.Backends.Qemu;
using Cleanroom.Backends.Qemu.Vm;

namespace Cleanroom.Bench;

/// <summary>
/// What the server's qemu backend boots on this host, so the raw baseline boots the same: the accelerator as
/// <c>cleanroom doctor --json</c> reports it (decided by a real probe boot), and the kernel the server uses when
/// <c>backends.qemu.kernel</c> is empty (scripts/build-kernel.sh's <c>kernels/current</c>).
/// </summary>
internal sealed record QemuOnThisHost(bool Usable, string? Reason, Accelerator Accelerator, string? Kernel)
{
    /// <summary>doctor exits non-zero when any check fails (say, no runsc); its JSON is complete either way.</summary>
    public static async Task<QemuOnThisHost> AskAsync(string cleanroom)
    {
        using var doctor = JsonDocument.Parse(await Commands.OutputAsync(check: false, cleanroom, "doctor", "--json"));
        var qemu = doctor.RootElement.GetProperty("backends").EnumerateArray().FirstOrDefault(b => b.GetProperty("name").GetString() == "qemu");
        if (qemu.ValueKind != JsonValueKind.Object)
            return new QemuOnThisHost(false, "doctor lists no qemu backend", Accelerator.Tcg, null);
        var usable = qemu.GetProperty("usable").GetBoolean();
        var accelerator = qemu.TryGetProperty("accelerator", out var a) && a.GetString() == "kvm" ? Accelerator.Kvm : Accelerator.Tcg;
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        var kernel = QemuBackendOptions.BuiltKernel(Path.Combine(dataHome, "cleanroom"));
        var reason = usable ? kernel is null ? "no kernel built (scripts/build-kernel.sh)" : null : qemu.GetProperty("reason").GetString();
        return new QemuOnThisHost(usable && kernel is not null, reason, accelerator, kernel);
    }
}
