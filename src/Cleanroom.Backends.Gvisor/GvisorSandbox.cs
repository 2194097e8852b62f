using Cleanroom.Backends.AgentBased;
using Cleanroom.Backends.Gvisor.Disk;
using Cleanroom.Images;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// One running gVisor sandbox: a detached runsc container whose PID 1 is the agent, reached over the socket in
/// its channel directory (so a restarted server can reach it again). Terminate stops the agent and removes the
/// container and the run directory.
/// </summary>
internal sealed class GvisorSandbox(LaunchedSandbox launched, ImageConfig image, SandboxTeardown teardown)
    : AgentSandbox(launched.Layout.SandboxId, launched.Agent, image), ISandboxDisk
{
    internal SandboxLayout Layout => launched.Layout;

    /// <summary>The connection to the agent (tests close it to do what a server's death does).</summary>
    internal Cleanroom.Agent.Client.AgentConnection Agent => launched.Agent;

    /// <summary>One statfs of the sandbox's disk; null once it is terminated.</summary>
    public SandboxDiskUsage? ReadDiskUsage() => FilestoreDisk.Usage(launched.Layout);

    protected override Task TeardownAsync() => teardown.RunAsync(launched.Layout, launched.Agent);
}
