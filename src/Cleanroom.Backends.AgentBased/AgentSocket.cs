using System.Net.Sockets;
using Cleanroom.Agent.Client;

namespace Cleanroom.Backends.AgentBased;

/// <summary>
/// Connects to an agent through a unix socket that outlives the server (gVisor: the agent's own listening socket;
/// QEMU: the one QEMU serves) and runs the handshake. The same call serves a sandbox just started and one an
/// earlier server left running.
/// </summary>
public static class AgentSocket
{
    public static async Task<AgentConnection> ConnectAsync(string path, AgentConnectionOptions options, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return await AgentConnection.ConnectAsync(new NetworkStream(socket, ownsSocket: true), options, cancellationToken).ConfigureAwait(false);
    }
}
