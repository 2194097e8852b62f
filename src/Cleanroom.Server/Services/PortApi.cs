using System.Net;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Cleanroom.Server.Ports;
using Cleanroom.Server.Routes;
using Grpc.Core;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>cleanroom.v1.PortService: host ports the server listens on for a sandbox, and single forwarded connections.</summary>
internal sealed class PortApi(SandboxControl control, PortExposures exposures, HttpsRoutes routes, SandboxAccess access) : V1.PortService.PortServiceBase
{
    /// <summary>More would be a mistake, not a need; the bound keeps one request from taking a range of host ports.</summary>
    private const int MaxExposuresPerRequest = 32;

    public override async Task<V1.ExposePortsResponse> ExposePorts(V1.ExposePortsRequest request, ServerCallContext context)
    {
        var sandboxId = SandboxApi.RequireId(request.SandboxId, "sandbox_id");
        await access.SandboxAsync(context, sandboxId);
        if (request.Tcp.Count == 0 && request.Https.Count == 0)
            throw new CleanroomException(ErrorCode.InvalidArgument, "name at least one port to expose (tcp) or route (https)");
        if (request.Tcp.Count + request.Https.Count > MaxExposuresPerRequest)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"at most {MaxExposuresPerRequest} exposures and routes per request");
        var wanted = request.Tcp.Select((exposure, i) => ToRequest(exposure, $"tcp[{i}]")).ToList();
        var wantedRoutes = request.Https.Select((route, i) => ToRequest(route, $"https[{i}]")).ToList();

        // Routes first: they can fail on a name another sandbox holds, and a route added to a table is undone by
        // the same request's failure less easily than a listener that was never started.
        var response = new V1.ExposePortsResponse();
        if (wantedRoutes.Count > 0)
        {
            foreach (var route in await routes.AddAsync(sandboxId, wantedRoutes, context.CancellationToken))
                response.Https.Add(ToProto(route, routes));
            response.CertificateAuthorityPath = routes.CertificateAuthorityPath ?? "";
        }
        if (wanted.Count > 0)
            response.Tcp.AddRange((await exposures.ExposeAsync(sandboxId, wanted)).Select(ToProto));
        return response;
    }

    public override Task ForwardPort(IAsyncStreamReader<V1.ForwardPortRequest> requestStream, IServerStreamWriter<V1.ForwardPortResponse> responseStream, ServerCallContext context) =>
        new PortForwardSession(control, requestStream, responseStream, id => access.SandboxAsync(context, id)).RunAsync(context.CancellationToken);

    internal static V1.PortExposure ToProto(ExposureInfo exposure) => new()
    {
        HostAddress = exposure.Host.Address.ToString(),
        HostPort = (uint)exposure.Host.Port,
        GuestPort = exposure.GuestPort,
    };

    internal static V1.HttpsRoute ToProto(HttpsRouteEntry route, HttpsRoutes routes)
    {
        var proto = new V1.HttpsRoute { Name = route.Name, GuestPort = route.GuestPort, Url = routes.UrlFor(route.Hosts[0]) };
        proto.Hosts.AddRange(route.Hosts);
        return proto;
    }

    private static HttpsRouteRequest ToRequest(V1.HttpsRoute route, string field)
    {
        var port = GuestPort(route.GuestPort, $"{field}.guest_port");
        if (route.Name.Length > 0 == route.Hosts.Count > 0)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"{field}: give either name or hosts");
        if (route.Name.Length > 0)
            return new HttpsRouteRequest(route.Name, [RouteHosts.ForName(route.Name, $"{field}.name")], port);
        if (route.Hosts.Count > 16)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"{field}.hosts: at most 16 hosts per route");
        // Exact names first: the first host names the route and gives its URL, which a wildcard cannot.
        var hosts = route.Hosts.Select((host, i) => RouteHosts.Pattern(host, $"{field}.hosts[{i}]")).Distinct()
            .OrderBy(host => host.StartsWith('*')).ToList();
        return new HttpsRouteRequest(hosts[0], hosts, port);
    }

    private static ExposureRequest ToRequest(V1.PortExposure exposure, string field)
    {
        var address = IPAddress.Loopback;
        if (exposure.HostAddress.Length > 0 && !IPAddress.TryParse(exposure.HostAddress, out address!))
            throw new CleanroomException(ErrorCode.InvalidArgument, $"{field}.host_address: '{exposure.HostAddress}' is not an IP address");
        if (exposure.HostPort > ushort.MaxValue)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"{field}.host_port: {exposure.HostPort} is not a port (0-65535; 0 picks one)");
        return new ExposureRequest(new IPEndPoint(address, (int)exposure.HostPort), GuestPort(exposure.GuestPort, $"{field}.guest_port"));
    }

    internal static ushort GuestPort(uint port, string field) =>
        port is >= 1 and <= ushort.MaxValue
            ? (ushort)port
            : throw new CleanroomException(ErrorCode.InvalidArgument, $"{field}: {port} is not a port (1-65535)");
}
