using System.Net.Sockets;
using Cleanroom.Agent.Client;

namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Connects to a sandbox's agent through the socket in its channel directory and runs the handshake. The
/// same call serves a sandbox just started and one a previous server left running.
/// </summary>
internal static class AgentChannel
{
    public static async Task<AgentConnection> ConnectAsync(SandboxLayout layout, GvisorBackendOptions options, TimeSpan handshakeTimeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(layout.AgentSocketPath), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return await AgentConnection.ConnectAsync(new NetworkStream(socket, ownsSocket: true), new AgentConnectionOptions
        {
            ClientName = "cleanroom-gvisor",
            HandshakeTimeout = handshakeTimeout,
            OutputWindow = options.OutputWindow,
        }, cancellationToken).ConfigureAwait(false);
    }
}
