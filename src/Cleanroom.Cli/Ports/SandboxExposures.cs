using Cleanroom.Client;
using Cleanroom.Api.V1;

namespace Cleanroom.Cli.Ports;

/// <summary>
/// Asks the server to listen on host ports (--expose) and route HTTPS hosts (--expose-https) for a sandbox, and says
/// on stderr what is ready, one line each.
/// </summary>
internal static class SandboxExposures
{
    public static async Task ExposeAsync(
        CliConsole console, CleanroomClient client, string sandboxId, IReadOnlyList<PortSpec> ports, IReadOnlyList<HttpsRoute> routes, CancellationToken cancellationToken)
    {
        if (ports.Count == 0 && routes.Count == 0)
            return;
        var request = new ExposePortsRequest { SandboxId = sandboxId };
        request.Tcp.AddRange(ports.Select(p => new PortExposure { HostAddress = p.HostAddress.ToString(), HostPort = p.HostPort, GuestPort = p.GuestPort }));
        request.Https.AddRange(routes);
        var response = await client.Ports.ExposePortsAsync(request, cancellationToken: cancellationToken);
        foreach (var route in response.Https)
            console.Error.WriteLine($"cleanroom: exposed {Describe(route)} -> sandbox port {route.GuestPort}");
        foreach (var exposure in response.Tcp)
            console.Error.WriteLine($"cleanroom: exposed {Describe(exposure)} -> sandbox port {exposure.GuestPort}");
        if (response.Https.Count > 0)
            console.Error.WriteLine($"cleanroom: the routes' certificates come from the CA in {response.CertificateAuthorityPath} (cleanroom tls ca)");
    }

    public static string Describe(PortExposure exposure) =>
        PortSpec.Format(System.Net.IPAddress.Parse(exposure.HostAddress), (int)exposure.HostPort);

    /// <summary>The route's URL, and its other hosts when it has several.</summary>
    public static string Describe(HttpsRoute route) =>
        route.Url.TrimEnd('/') + (route.Hosts.Count > 1 ? $" (also {string.Join(", ", route.Hosts.Skip(1))})" : "");
}
