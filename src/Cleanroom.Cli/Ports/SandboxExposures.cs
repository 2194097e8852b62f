using Cleanroom.Api.Client;
using Cleanroom.Api.V1;

namespace Cleanroom.Cli.Ports;

/// <summary>Asks the server to listen on host ports for a sandbox (--expose), and says on stderr what is listening.</summary>
internal static class SandboxExposures
{
    public static async Task ExposeAsync(CliConsole console, CleanroomClient client, string sandboxId, IReadOnlyList<PortSpec> ports, CancellationToken cancellationToken)
    {
        if (ports.Count == 0)
            return;
        var request = new ExposePortsRequest { SandboxId = sandboxId };
        request.Tcp.AddRange(ports.Select(p => new PortExposure { HostAddress = p.HostAddress.ToString(), HostPort = p.HostPort, GuestPort = p.GuestPort }));
        var response = await client.Ports.ExposePortsAsync(request, cancellationToken: cancellationToken);
        foreach (var exposure in response.Tcp)
            console.Error.WriteLine($"cleanroom: exposed {Describe(exposure)} -> sandbox port {exposure.GuestPort}");
    }

    public static string Describe(PortExposure exposure) =>
        PortSpec.Format(System.Net.IPAddress.Parse(exposure.HostAddress), (int)exposure.HostPort);
}
