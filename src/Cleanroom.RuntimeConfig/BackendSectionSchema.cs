namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The settings one backend accepts under <c>backends.&lt;name&gt;</c>. Backend-specific settings live
/// only here, never in generic request types; a section with a field not listed fails validation.
/// </summary>
public sealed record BackendSectionSchema(string Backend, IReadOnlyList<SettingSpec> Settings)
{
    /// <summary>The backends Cleanroom knows, strongest boundary first.</summary>
    public static IReadOnlyList<BackendSectionSchema> Known { get; } =
    [
        new("qemu",
        [
            new("binary_path", SettingKind.Text, "QEMU system emulator to run"),
            new("accel", SettingKind.Choice, "accelerator: auto probes KVM with a tiny boot, else emulates", ["auto", "kvm", "tcg"]),
            new("kernel", SettingKind.Text, "guest kernel image; empty means the one setup built"),
            new("min_vcpus", SettingKind.PositiveInteger, "vCPUs given even when the policy asks for fewer"),
            new("min_memory_mib", SettingKind.PositiveInteger, "memory given even when the policy asks for less"),
        ]),
        new("gvisor",
        [
            new("runsc_path", SettingKind.Text, "runsc binary to run"),
            new("platform", SettingKind.Choice, "gVisor platform: auto probes systrap at start, else ptrace (works on every host)", ["auto", "systrap", "ptrace", "kvm"]),
            new("pids_limit", SettingKind.PositiveInteger, "most processes a sandbox may hold"),
            new("default_disk_mib", SettingKind.PositiveInteger, "disk limit (MiB, at least 16) of a sandbox whose policy sets no resources.disk; default 10240, capped to what the host can spare"),
            new("network_stack", SettingKind.Choice, "whose TCP/IP stack a sandbox with a network uses: host (the host kernel's, in the sandbox's namespace; the default) or sandbox (gVisor's own; needed to suspend sandboxes)", ["host", "sandbox"]),
        ]),
    ];

    public static BackendSectionSchema? Find(string backend) =>
        Known.FirstOrDefault(schema => schema.Backend == backend);
}
