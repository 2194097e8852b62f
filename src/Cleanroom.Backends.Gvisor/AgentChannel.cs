using Cleanroom.Agent.Client;
using Cleanroom.Backends.AgentBased;

namespace Cleanroom.Backends.Gvisor;

/// <summary>The gVisor side of <see cref="AgentSocket"/>: the socket in the sandbox's channel directory.</summary>
internal static class AgentChannel
{
    public static Task<AgentConnection> ConnectAsync(SandboxLayout layout, GvisorBackendOptions options, TimeSpan handshakeTimeout, CancellationToken cancellationToken) =>
        AgentSocket.ConnectAsync(layout.AgentSocketPath, new AgentConnectionOptions
        {
            ClientName = "cleanroom-gvisor",
            HandshakeTimeout = handshakeTimeout,
            OutputWindow = options.OutputWindow,
        }, cancellationToken);
}
