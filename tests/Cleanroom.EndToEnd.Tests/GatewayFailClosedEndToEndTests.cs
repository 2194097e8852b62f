using System.Net;
using System.Net.Sockets;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// The host gateway fails closed: a sandbox whose link cannot get the gateway's listener is not started (and leaves
/// nothing behind), and a server whose gateway cannot start does not start.
/// </summary>
public sealed class GatewayFailClosedEndToEndTests
{
    [Fact]
    public async Task A_sandbox_is_not_started_when_the_gateway_cannot_listen_on_its_link()
    {
        // A listener on every address holds the port, so binding it at a sandbox link's address fails.
        using var holder = new TcpListener(IPAddress.Any, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        await using var server = await RealServer.StartAsync(configYaml: $"gateway:\n  listen_port: {port}\n");

        var created = await server.CleanroomAsync("create", "--chdir", Path.Combine(Product.RepositoryRoot, "examples", "basic"));

        Assert.NotEqual(0, created.ExitCode);
        Assert.Contains("gateway_unavailable", created.Stderr);
        var prefix = "cre" + server.Table[^3..] + "-";
        var namespaces = (await Shell.RunAsync(["ip", "netns", "list"])).Stdout;
        Assert.DoesNotContain(prefix, namespaces);
    }

    [Fact]
    public async Task A_server_whose_gateway_cannot_trust_its_upstream_ca_file_does_not_start()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RealServer.StartAsync(configYaml: "gateway:\n  upstream_ca_file: /nonexistent/ca.pem\n"));

        Assert.Contains("gateway.upstream_ca_file", error.Message);
    }
}
