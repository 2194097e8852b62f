using Cleanroom.Agent.Client;
using Cleanroom.Backends.AgentBased;

namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>The QEMU side of <see cref="AgentSocket"/>: the socket QEMU serves in the run directory.</summary>
internal static class VmAgentChannel
{
    public static Task<AgentConnection> ConnectAsync(SandboxRunDirectory run, QemuBackendOptions options, TimeSpan handshakeTimeout, CancellationToken cancellationToken) =>
        AgentSocket.ConnectAsync(run.AgentSocket, new AgentConnectionOptions
        {
            ClientName = "cleanroom-qemu",
            HandshakeTimeout = handshakeTimeout,
            OutputWindow = options.OutputWindow,
        }, cancellationToken);
}
