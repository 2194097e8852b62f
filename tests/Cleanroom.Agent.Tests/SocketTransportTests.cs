using System.Diagnostics;
using System.Net.Sockets;
using Cleanroom.Agent.Client;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

public sealed class SocketTransportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cleanroom-agent-sock-").FullName;

    [Fact]
    public async Task Agent_connects_to_the_hosts_unix_socket_and_serves_over_it()
    {
        using var deadline = TestDeadline.Start();
        var path = Path.Combine(_dir, "agent.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { AgentPaths.ManagedAgentDll, "--socket", path })
            info.ArgumentList.Add(argument);
        using var agent = Process.Start(info)!;
        try
        {
            var socket = await listener.AcceptAsync(deadline.Token);
            await using var connection = await AgentConnection.ConnectAsync(new NetworkStream(socket, ownsSocket: true), null, deadline.Token);

            var result = await CollectedOutput.RunAsync(connection, new ExecutionRequest(["sh", "-c", "echo over the socket"]), deadline.Token);
            await connection.ShutdownAsync(TimeSpan.FromSeconds(5), deadline.Token);

            Assert.Equal("over the socket\n", result.StdoutText);
            await agent.WaitForExitAsync(deadline.Token);
            Assert.Equal(0, agent.ExitCode);
        }
        finally
        {
            if (!agent.HasExited)
                agent.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Agent_without_a_listening_host_fails_with_a_message()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { AgentPaths.ManagedAgentDll, "--socket", Path.Combine(_dir, "absent.sock") })
            info.ArgumentList.Add(argument);
        using var agent = Process.Start(info)!;
        var stderr = await agent.StandardError.ReadToEndAsync();
        await agent.WaitForExitAsync();

        Assert.Equal(1, agent.ExitCode);
        Assert.Contains("agent failed", stderr);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
