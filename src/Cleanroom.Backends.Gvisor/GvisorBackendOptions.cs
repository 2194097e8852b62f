namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Where the gVisor backend keeps things and how patient it is. The server builds this from its host
/// directories and the runtime config:
/// <code>
/// new GvisorBackendOptions
/// {
///     RunscRoot = $"{runtimeDir}/runsc",          // $XDG_RUNTIME_DIR/cleanroom/runsc
///     SandboxRoot = $"{runtimeDir}/sandboxes",    // per-sandbox bundle, logs and upper-layer filestore
///     AgentDirectory = "out/agent",              // what scripts/build-agent.sh staged
///     Settings = GvisorSettings.From(config.BackendSettings("gvisor")),
/// }
/// </code>
/// </summary>
public sealed record GvisorBackendOptions
{
    /// <summary>
    /// runsc's <c>--root</c>: container state. Owned by this backend alone, so every <c>cleanroom-*</c>
    /// container listed there is ours to remove after a restart.
    /// </summary>
    public required string RunscRoot { get; init; }

    /// <summary>
    /// Parent of the per-sandbox run directories (<c>cleanroom-&lt;id&gt;/</c>: OCI bundle, runsc logs, and the
    /// file backing the sandbox's writable layer). Writes in a sandbox take space here, so on hosts where
    /// <c>$XDG_RUNTIME_DIR</c> is a small tmpfs the server may put this on disk instead.
    /// </summary>
    public required string SandboxRoot { get; init; }

    /// <summary>
    /// The staged agent: <c>cleanroom-agent</c> and <c>lib/</c> with the loader and libraries it links
    /// (<c>scripts/build-agent.sh</c> makes it). Bind-mounted read-only into every sandbox at <c>/.cleanroom</c>.
    /// </summary>
    public required string AgentDirectory { get; init; }

    /// <summary>runsc binary, platform and pids limit from <c>backends.gvisor</c>.</summary>
    public GvisorSettings Settings { get; init; } = GvisorSettings.Default;

    /// <summary>How long a new sandbox has to answer the agent handshake before provisioning fails.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Budget for one runsc housekeeping command (list, kill, delete, state, version).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long running commands get between SIGTERM and SIGKILL when a sandbox is terminated.</summary>
    public TimeSpan TerminateGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Memory limit when the sandbox's resources name none (the sandbox's user-space kernel included).</summary>
    public long DefaultMemoryBytes { get; init; } = 4L << 30;

    /// <summary>Bytes of output per execution in flight between the agent and the control plane.</summary>
    public int OutputWindow { get; init; } = 1 << 20;
}
