using System.Text.RegularExpressions;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// The names and host paths of one sandbox. Everything the backend makes for a sandbox carries
/// <see cref="ContainerId"/> (<c>cleanroom-&lt;sandbox id&gt;</c>): the runsc container, its cgroup, its run
/// directory. That prefix is how reconciliation recognises its own leftovers after a crash.
/// </summary>
internal sealed partial record SandboxLayout(string SandboxId, string ContainerId, string RunDirectory)
{
    public const string ContainerPrefix = "cleanroom-";

    /// <summary>The OCI bundle: config.json only (the rootfs is the shared image tree, named by path).</summary>
    public string BundleDirectory => Path.Combine(RunDirectory, "bundle");

    public string ConfigPath => Path.Combine(BundleDirectory, "config.json");

    /// <summary>Shared with the sandbox: the agent's listening socket is made here.</summary>
    public string ChannelDirectory => Path.Combine(RunDirectory, "channel");

    /// <summary>The agent's socket on the host, which every server (the first and any after a restart) connects to.</summary>
    public string AgentSocketPath => Path.Combine(ChannelDirectory, StagedAgent.SocketName);

    /// <summary>runsc's stderr and the agent's diagnostics (the container's stderr).</summary>
    public string StderrLogPath => Path.Combine(RunDirectory, "stderr.log");

    /// <summary>runsc's own log (<c>--log</c>), kept off stdout, which is the agent channel.</summary>
    public string RunscLogPath => Path.Combine(RunDirectory, "runsc.log");

    /// <summary>
    /// Where runsc creates (and at once unlinks) the file backing the sandbox's writable layer: the mount point of the
    /// sandbox's size-limited disk (<see cref="DiskImagePath"/>), so that file cannot outgrow the limit.
    /// </summary>
    public string FilestoreDirectory => Path.Combine(RunDirectory, "upper");

    /// <summary>The sparse ext4 image, attached to a loop device and mounted at <see cref="FilestoreDirectory"/>.</summary>
    public string DiskImagePath => Path.Combine(RunDirectory, "disk.img");

    /// <summary>How the sandbox was started, for a restore by this server or the next (<see cref="RestoreRecipe"/>).</summary>
    public string RestoreRecipePath => Path.Combine(RunDirectory, "restore.json");

    /// <summary>Where a suspended sandbox's checkpoint lives (runsc's image: its memory, processes and writable layer).</summary>
    public string CheckpointDirectory => Path.Combine(RunDirectory, "checkpoint");

    /// <summary>runsc's log of checkpoints and restores, kept beside the checkpoint for inspection.</summary>
    public string SuspendLogPath => Path.Combine(RunDirectory, "suspend.log");

    /// <summary>The cgroup runsc creates for the sandbox, relative to each controller's root.</summary>
    public string CgroupsPath => "/cleanroom/" + ContainerId;

    public static SandboxLayout For(string sandboxRoot, string sandboxId)
    {
        if (!SafeId().IsMatch(sandboxId))
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"sandbox id \"{sandboxId}\" cannot name a gVisor container: use 1-100 letters, digits, '-', '_' or '.', starting with a letter or digit");
        var containerId = ContainerPrefix + sandboxId;
        return new SandboxLayout(sandboxId, containerId, Path.Combine(Path.GetFullPath(sandboxRoot), containerId));
    }

    /// <summary>The sandbox id inside one of our container or directory names, or null when the name is not ours.</summary>
    public static string? SandboxIdOf(string containerId) =>
        containerId.StartsWith(ContainerPrefix, StringComparison.Ordinal) && SafeId().IsMatch(containerId[ContainerPrefix.Length..])
            ? containerId[ContainerPrefix.Length..]
            : null;

    // runsc accepts [\w+-\.] ids; a sandbox id also becomes a path component and a cgroup name.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex SafeId();
}
