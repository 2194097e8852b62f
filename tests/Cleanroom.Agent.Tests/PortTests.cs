using System.Net;
using System.Net.Sockets;
using System.Text;
using Cleanroom.Agent.Client;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

/// <summary>
/// PortConnect: the agent opens a TCP connection to a port on its loopback and carries it both ways. The agent runs
/// on this host in these tests, so the "program in the sandbox" is a listener the test makes on 127.0.0.1.
/// </summary>
public class PortTests : AgentTestBase
{
    [Fact]
    public async Task Data_goes_both_ways_intact_and_a_half_close_reaches_the_program()
    {
        using var listener = Listen();
        var data = new byte[3 * 1024 * 1024 + 11];
        new Random(5).NextBytes(data);
        // The program reads until end of file, then answers with everything it read and closes.
        var program = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(Deadline);
            await using var peer = new NetworkStream(socket, ownsSocket: false);
            using var received = new MemoryStream();
            await peer.CopyToAsync(received, Deadline);
            await peer.WriteAsync(received.ToArray(), Deadline);
            socket.Shutdown(SocketShutdown.Both);
        });

        await using var stream = await Agent.ConnectPortAsync(PortOf(listener), Deadline);
        var reading = ReadAllAsync(stream);
        await stream.WriteAsync(data, Deadline);
        await stream.ShutdownWriteAsync(Deadline);

        Assert.Equal(data, await reading);
        await program;
    }

    [Fact]
    public async Task A_port_nobody_listens_on_is_refused_with_a_stable_code()
    {
        int port;
        using (var listener = Listen())
            port = PortOf(listener);

        var refused = await Assert.ThrowsAsync<AgentException>(() => Agent.ConnectPortAsync((ushort)port, Deadline));

        Assert.Equal("connection_refused", refused.AgentCode);
        Assert.Contains($"port {port}", refused.Message);
    }

    [Fact]
    public async Task The_program_closing_first_ends_the_read_and_the_host_can_still_finish()
    {
        using var listener = Listen();
        var program = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(Deadline);
            await socket.SendAsync("hello"u8.ToArray(), SocketFlags.None, Deadline);
            socket.Shutdown(SocketShutdown.Send);
            var buffer = new byte[64];
            var text = new StringBuilder();
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, Deadline)) > 0)
                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
            return text.ToString();
        });

        await using var stream = await Agent.ConnectPortAsync(PortOf(listener), Deadline);
        Assert.Equal("hello", Encoding.UTF8.GetString(await ReadAllAsync(stream)));
        await stream.WriteAsync("bye"u8.ToArray(), Deadline);
        await stream.ShutdownWriteAsync(Deadline);

        Assert.Equal("bye", await program);
    }

    [Fact]
    public async Task Disposing_an_unfinished_stream_drops_the_connection_in_the_sandbox()
    {
        using var listener = Listen();
        var stream = await Agent.ConnectPortAsync(PortOf(listener), Deadline);
        using var socket = await listener.AcceptSocketAsync(Deadline);

        await stream.DisposeAsync();

        // Dropped: end of file, or a reset when the agent's read was cut short.
        var buffer = new byte[16];
        try
        {
            Assert.Equal(0, await socket.ReceiveAsync(buffer, SocketFlags.None, Deadline));
        }
        catch (SocketException e)
        {
            Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        }
        // The agent still answers: nothing of the dropped connection is stuck in its frame loop.
        await Agent.PingAsync(Deadline);
    }

    [Fact]
    public async Task Many_connections_run_at_once_on_one_agent_connection()
    {
        using var listener = Listen();
        var server = Task.Run(async () =>
        {
            var echoes = new List<Task>();
            for (var i = 0; i < 20; i++)
            {
                var socket = await listener.AcceptSocketAsync(Deadline);
                echoes.Add(Task.Run(async () =>
                {
                    using (socket)
                    await using (var peer = new NetworkStream(socket, ownsSocket: false))
                    {
                        await peer.CopyToAsync(peer, Deadline);
                        socket.Shutdown(SocketShutdown.Send);
                    }
                }));
            }
            await Task.WhenAll(echoes);
        });

        var clients = Enumerable.Range(0, 20).Select(async i =>
        {
            await using var stream = await Agent.ConnectPortAsync(PortOf(listener), Deadline);
            var message = Encoding.UTF8.GetBytes($"connection {i}");
            var reading = ReadAllAsync(stream);
            await stream.WriteAsync(message, Deadline);
            await stream.ShutdownWriteAsync(Deadline);
            Assert.Equal(message, await reading);
        });
        await Task.WhenAll(clients);
        await server;
    }

    private static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static ushort PortOf(TcpListener listener) => (ushort)((IPEndPoint)listener.LocalEndpoint).Port;

    private async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var all = new MemoryStream();
        await stream.CopyToAsync(all, Deadline);
        return all.ToArray();
    }
}
