using Cleanroom.Backends.AgentBased;
using Cleanroom.Backends.Gvisor.Disk;
using Cleanroom.Images;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// One running gVisor sandbox: a detached runsc container whose PID 1 is the agent, reached over the socket in
/// its channel directory (so a restarted server can reach it again). Terminate stops the agent and removes the
/// container and the run directory; suspend checkpoints it (<see cref="SandboxSuspension"/>).
/// </summary>
internal sealed class GvisorSandbox(LaunchedSandbox launched, ImageConfig image, SandboxTeardown teardown, SandboxSuspension suspension)
    : AgentSandbox(launched.Layout.SandboxId, launched.Agent, image), ISandboxDisk, ISuspendableSandbox
{
    internal SandboxLayout Layout => launched.Layout;

    internal ImageConfig ImageConfig => Image;

    /// <summary>The connection to the agent (tests close it to do what a server's death does).</summary>
    internal Cleanroom.Agent.Client.AgentConnection Agent => launched.Agent;

    /// <summary>One statfs of the sandbox's disk; null once it is terminated.</summary>
    public SandboxDiskUsage? ReadDiskUsage() => FilestoreDisk.Usage(launched.Layout);

    public Task<ISuspendedSandbox> SuspendAsync(CancellationToken cancellationToken) => suspension.SuspendAsync(this, cancellationToken);

    /// <summary>Retires this handle and has the agent let go of its host sockets: the first step of a suspend.</summary>
    internal Task ReleaseAgentAsync(CancellationToken cancellationToken) => ReleaseAgentForSuspendAsync(cancellationToken);

    protected override Task TeardownAsync() => teardown.RunAsync(launched.Layout, launched.Agent);

    /// <summary>
    /// Takes hold of a sandbox whose agent listens on its channel socket (re-adoption after a server restart, and a
    /// sandbox just restored from its checkpoint): one connect and handshake, nothing else.
    /// </summary>
    internal static async Task<GvisorSandbox> ConnectAsync(
        SandboxLayout layout, ImageConfig image, GvisorBackendOptions options, SandboxTeardown teardown, SandboxSuspension suspension,
        TimeSpan handshakeTimeout, CancellationToken cancellationToken)
    {
        var connection = await AgentChannel.ConnectAsync(layout, options, handshakeTimeout, cancellationToken).ConfigureAwait(false);
        return new GvisorSandbox(new LaunchedSandbox(layout, connection), image, teardown, suspension);
    }
}
