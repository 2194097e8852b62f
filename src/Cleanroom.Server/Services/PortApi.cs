using System.Net;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Cleanroom.Server.Ports;
using Grpc.Core;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>cleanroom.v1.PortService: host ports the server listens on for a sandbox, and single forwarded connections.</summary>
internal sealed class PortApi(SandboxControl control, PortExposures exposures) : V1.PortService.PortServiceBase
{
    /// <summary>More would be a mistake, not a need; the bound keeps one request from taking a range of host ports.</summary>
    private const int MaxExposuresPerRequest = 32;

    public override async Task<V1.ExposePortsResponse> ExposePorts(V1.ExposePortsRequest request, ServerCallContext context)
    {
        var sandboxId = SandboxApi.RequireId(request.SandboxId, "sandbox_id");
        if (request.Tcp.Count == 0)
            throw new CleanroomException(ErrorCode.InvalidArgument, "tcp: name at least one port to expose");
        if (request.Tcp.Count > MaxExposuresPerRequest)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"tcp: at most {MaxExposuresPerRequest} exposures per request");
        var wanted = request.Tcp.Select((exposure, i) => ToRequest(exposure, $"tcp[{i}]")).ToList();

        var made = await exposures.ExposeAsync(sandboxId, wanted);
        var response = new V1.ExposePortsResponse();
        response.Tcp.AddRange(made.Select(ToProto));
        return response;
    }

    public override Task ForwardPort(IAsyncStreamReader<V1.ForwardPortRequest> requestStream, IServerStreamWriter<V1.ForwardPortResponse> responseStream, ServerCallContext context) =>
        new PortForwardSession(control, requestStream, responseStream).RunAsync(context.CancellationToken);

    internal static V1.PortExposure ToProto(ExposureInfo exposure) => new()
    {
        HostAddress = exposure.Host.Address.ToString(),
        HostPort = (uint)exposure.Host.Port,
        GuestPort = exposure.GuestPort,
    };

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
