using System.Text.Json;

namespace Cleanroom.Backends.Gvisor;

/// <summary>What goes into one sandbox's OCI runtime spec.</summary>
internal sealed record OciBundleSpec(
    string RootfsPath,
    IReadOnlyList<string> Argv,
    string AgentHostDirectory,
    string ChannelHostDirectory,
    string Hostname,
    string CgroupsPath,
    long MemoryBytes,
    int? Vcpus,
    int PidsLimit,
    string? ResolvConfPath = null,
    string? NetworkNamespacePath = null,
    IReadOnlyList<(string GuestPath, string HostPath)>? NetworkFiles = null,
    bool Docker = false);

/// <summary>
/// Writes the OCI runtime spec (config.json) runsc runs. Written by hand with a Utf8JsonWriter: the spec is
/// small, and no reflection model is needed for it.
/// </summary>
internal static class OciBundle
{
    private const long CpuPeriod = 100_000;

    // What Docker gives a container by default. The workload runs as the image's user (root by default)
    // inside gVisor's user-space kernel; these capabilities are the sentry's, not the host's.
    private static readonly string[] Capabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    // A sandbox whose policy requires Docker runs dockerd and runc, which mount file systems, make namespaces and
    // cgroups and set up their containers' processes: they need what a privileged container has. These are still
    // capabilities in gVisor's user-space kernel: the host sees only the sentry, which keeps its own seccomp filter.
    private static readonly string[] DockerCapabilities =
    [
        .. Capabilities, "CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_RESOURCE", "CAP_SYS_PTRACE", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_DAC_READ_SEARCH", "CAP_LINUX_IMMUTABLE", "CAP_SYS_NICE", "CAP_LEASE", "CAP_SYS_TIME", "CAP_AUDIT_CONTROL",
    ];

    public static void Write(string path, OciBundleSpec spec)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("ociVersion", "1.0.2");
        WriteProcess(json, spec);
        json.WriteStartObject("root");
        json.WriteString("path", spec.RootfsPath);
        // Not read-only: runsc only lays its writable overlay (--overlay2) over a writable root. The image
        // tree itself is still never written: runsc's gofer mounts it read-only in its own namespace.
        json.WriteBoolean("readonly", false);
        json.WriteEndObject();
        json.WriteString("hostname", spec.Hostname);
        WriteMounts(json, spec);
        WriteLinux(json, spec);
        json.WriteEndObject();
    }

    private static void WriteProcess(Utf8JsonWriter json, OciBundleSpec spec)
    {
        json.WriteStartObject("process");
        json.WriteBoolean("terminal", false);
        json.WriteStartObject("user");
        json.WriteNumber("uid", 0);
        json.WriteNumber("gid", 0);
        json.WriteEndObject();
        WriteStrings(json, "args", spec.Argv);
        // The agent's own environment; every execution gets a complete environment of its own.
        WriteStrings(json, "env", ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
        json.WriteString("cwd", "/");
        json.WriteStartObject("capabilities");
        foreach (var set in new[] { "bounding", "effective", "permitted" })
            WriteStrings(json, set, spec.Docker ? DockerCapabilities : Capabilities);
        json.WriteEndObject();
        json.WriteStartArray("rlimits");
        json.WriteStartObject();
        json.WriteString("type", "RLIMIT_NOFILE");
        json.WriteNumber("hard", 1 << 20);
        json.WriteNumber("soft", 1 << 20);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteBoolean("noNewPrivileges", true);
        json.WriteEndObject();
    }

    private static void WriteMounts(Utf8JsonWriter json, OciBundleSpec spec)
    {
        json.WriteStartArray("mounts");
        Mount(json, "/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]);
        Mount(json, "/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]);
        Mount(json, "/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]);
        Mount(json, "/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]);
        Mount(json, "/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]);
        Mount(json, StagedAgent.GuestDirectory, "bind", spec.AgentHostDirectory, ["rbind", "ro", "nosuid", "nodev"]);
        // The agent's socket lives here (runsc --host-uds=create makes it a host socket): the host reconnects
        // through it after a server restart.
        Mount(json, StagedAgent.GuestChannelDirectory, "bind", spec.ChannelHostDirectory, ["rbind", "rw", "nosuid", "nodev", "noexec"]);
        if (spec.ResolvConfPath is { } resolvConf)
        {
            // The policy resolver on the host end of the sandbox's link: the only DNS server it can reach.
            Mount(json, "/etc/resolv.conf", "bind", resolvConf, ["bind", "ro", "nosuid", "nodev", "noexec"]);
        }

        // Host-made files that come with the network (the host gateway's git config): read-only, like resolv.conf.
        foreach (var (guestPath, hostPath) in spec.NetworkFiles ?? [])
            Mount(json, guestPath, "bind", hostPath, ["bind", "ro", "nosuid", "nodev", "noexec"]);
        json.WriteEndArray();
    }

    private static void WriteLinux(Utf8JsonWriter json, OciBundleSpec spec)
    {
        json.WriteStartObject("linux");
        json.WriteString("cgroupsPath", spec.CgroupsPath);
        json.WriteStartObject("resources");
        json.WriteStartObject("memory");
        json.WriteNumber("limit", spec.MemoryBytes);
        json.WriteEndObject();
        if (spec.Vcpus is { } vcpus)
        {
            json.WriteStartObject("cpu");
            json.WriteNumber("quota", vcpus * CpuPeriod);
            json.WriteNumber("period", CpuPeriod);
            json.WriteEndObject();
        }
        json.WriteStartObject("pids");
        json.WriteNumber("limit", spec.PidsLimit);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartArray("namespaces");
        foreach (var ns in new[] { "pid", "network", "ipc", "uts", "mount" })
        {
            json.WriteStartObject();
            json.WriteString("type", ns);
            // With --network=host the sandbox process joins the spec's network namespace: without a path runsc
            // makes a new, empty one (no link, no route), whatever namespace runsc itself was started in.
            if (ns == "network" && spec.NetworkNamespacePath is { } path)
                json.WriteString("path", path);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Mount(Utf8JsonWriter json, string destination, string type, string source, IReadOnlyList<string> options)
    {
        json.WriteStartObject();
        json.WriteString("destination", destination);
        json.WriteString("type", type);
        json.WriteString("source", source);
        WriteStrings(json, "options", options);
        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }
}
