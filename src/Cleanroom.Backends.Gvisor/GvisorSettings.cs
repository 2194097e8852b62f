using System.Globalization;
using System.Text.Json;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// The <c>backends.gvisor</c> section of the runtime config: <c>runsc_path</c>, <c>platform</c>, <c>pids_limit</c>,
/// <c>default_disk_mib</c>, <c>network_stack</c>.
/// The runtime-config reader has already validated the section; values arrive as strings (the server's
/// section dictionary) or as JSON (a sandbox's <see cref="SandboxSpec.RuntimeConfig"/>).
/// </summary>
public sealed record GvisorSettings
{
    public const int DefaultPidsLimit = 4096;

    /// <summary>Disk limit of a sandbox whose policy names none: 10 GiB.</summary>
    public const long DefaultDiskLimitBytes = 10L << 30;

    public static GvisorSettings Default { get; } = new();

    /// <summary>The runsc binary: a path, or a name looked up on PATH.</summary>
    public string RunscPath { get; init; } = "runsc";

    /// <summary>
    /// gVisor platform: <see cref="PlatformChoice.Auto"/> (the default) probes systrap at start and falls back to
    /// ptrace; a named one is used only if a probe sandbox starts under it (see <see cref="PlatformSelection"/>).
    /// </summary>
    public PlatformChoice Platform { get; init; } = PlatformChoice.Auto;

    /// <summary>Most tasks a sandbox may hold (the pids cgroup limit).</summary>
    public int PidsLimit { get; init; } = DefaultPidsLimit;

    /// <summary>
    /// Disk limit of a sandbox whose policy has no <c>resources.disk</c> (<c>default_disk_mib</c>); like every limit it
    /// is capped to what the host can spare when the sandbox starts (<see cref="Disk.DiskLimit"/>).
    /// </summary>
    public long DefaultDiskBytes { get; init; } = DefaultDiskLimitBytes;

    /// <summary>
    /// Whose TCP/IP stack a sandbox with a network attachment uses (<c>network_stack</c>): the host kernel's inside the
    /// sandbox's namespace (<c>host</c>, runsc <c>--network=host</c>, the default), or gVisor's own netstack
    /// (<c>sandbox</c>), which runsc can checkpoint: only such sandboxes can be suspended (runsc refuses to checkpoint
    /// a sandbox on the host's stack). See README.md, "Suspend and resume".
    /// </summary>
    public bool SandboxNetworkStack { get; init; }

    /// <summary>From the server's view of the section (<c>RuntimeConfiguration.BackendSettings("gvisor")</c>).</summary>
    public static GvisorSettings From(IReadOnlyDictionary<string, string> section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var settings = Default;
        if (section.TryGetValue("runsc_path", out var runsc) && runsc.Length > 0)
            settings = settings with { RunscPath = runsc };
        if (section.TryGetValue("platform", out var platform) && platform.Length > 0)
            settings = settings with { Platform = ParsePlatform(platform) };
        if (section.TryGetValue("pids_limit", out var pids) && pids.Length > 0)
            settings = settings with { PidsLimit = ParsePositive("pids_limit", pids) };
        if (section.TryGetValue("default_disk_mib", out var disk) && disk.Length > 0)
            settings = settings with { DefaultDiskBytes = ParseDiskMib(disk) };
        if (section.TryGetValue("network_stack", out var stack) && stack.Length > 0)
            settings = settings with { SandboxNetworkStack = ParseNetworkStack(stack) };
        return settings;
    }

    /// <summary>
    /// Overlays a sandbox's own copy of the section on these settings. Only <c>pids_limit</c> is taken from it:
    /// the runsc binary is the host's, because the same binary must be able to list and delete every sandbox this
    /// backend made, the platform is the host's, decided once by a probe (like the QEMU accelerator), and the default
    /// disk is the host operator's (a sandbox that wants another size says so in its policy, <c>resources.disk</c>).
    /// </summary>
    public GvisorSettings WithSandboxSection(JsonElement? section)
    {
        if (section is not { ValueKind: JsonValueKind.Object } json)
            return this;
        var settings = this;
        if (json.TryGetProperty("pids_limit", out var pids))
        {
            settings = pids.ValueKind switch
            {
                JsonValueKind.Number when pids.TryGetInt32(out var n) && n > 0 => settings with { PidsLimit = n },
                JsonValueKind.String => settings with { PidsLimit = ParsePositive("pids_limit", pids.GetString()!) },
                _ => throw new CleanroomException(ErrorCode.ConfigInvalid, $"backends.gvisor.pids_limit must be a positive integer, not {pids.GetRawText()}"),
            };
        }
        return settings;
    }

    private static PlatformChoice ParsePlatform(string value) => value switch
    {
        "auto" => PlatformChoice.Auto,
        "systrap" => PlatformChoice.Systrap,
        "ptrace" => PlatformChoice.Ptrace,
        "kvm" => PlatformChoice.Kvm,
        _ => throw new CleanroomException(ErrorCode.ConfigInvalid, $"backends.gvisor.platform must be auto, systrap, ptrace or kvm, not \"{value}\""),
    };

    private static bool ParseNetworkStack(string value) => value switch
    {
        "host" => false,
        "sandbox" => true,
        _ => throw new CleanroomException(ErrorCode.ConfigInvalid, $"backends.gvisor.network_stack must be host or sandbox, not \"{value}\""),
    };

    private static long ParseDiskMib(string value)
    {
        var minimumMib = Disk.DiskLimit.MinimumBytes >> 20;
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var mib) && mib >= minimumMib && mib <= long.MaxValue >> 20
            ? mib << 20
            : throw new CleanroomException(ErrorCode.ConfigInvalid, $"backends.gvisor.default_disk_mib must be a whole number of MiB, at least {minimumMib}, not \"{value}\"");
    }

    private static int ParsePositive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new CleanroomException(ErrorCode.ConfigInvalid, $"backends.gvisor.{name} must be a positive integer, not \"{value}\"");
}
