using System.Net.Sockets;
using Cleanroom.Agent.Client;

namespace Cleanroom.Backends.Qemu.Vm;

/// <summary>
/// The host's end of a VM's agent channel: a connection to the socket QEMU serves in the run directory. The same
/// connect serves a VM just started and one an earlier server left running.
/// </summary>
internal static class VmAgentChannel
{
    public static async Task<NetworkStream> OpenAsync(SandboxRunDirectory run, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(run.AgentSocket), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static async Task<AgentConnection> ConnectAsync(SandboxRunDirectory run, QemuBackendOptions options, TimeSpan handshakeTimeout, CancellationToken cancellationToken)
    {
        var channel = await OpenAsync(run, cancellationToken).ConfigureAwait(false);
        return await AgentConnection.ConnectAsync(channel, new AgentConnectionOptions
        {
            ClientName = "cleanroom-qemu",
            HandshakeTimeout = handshakeTimeout,
            OutputWindow = options.OutputWindow,
        }, cancellationToken).ConfigureAwait(false);
    }
}
