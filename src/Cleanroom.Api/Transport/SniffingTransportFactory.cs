using System.Net;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Api.Transport;

/// <summary>
/// Kestrel's transport for <see cref="LaneEndPoint"/>s. Kestrel binds the HTTP/1.1 and the HTTP/2 lane of an address
/// separately; both binds land on the same <see cref="SharedSocketListener"/>, created by whichever comes first.
/// Kestrel asks the most recently registered factory first, and this one claims only lane endpoints, so Kestrel's
/// own socket transport still serves any ordinary endpoint.
/// </summary>
internal sealed class SniffingTransportFactory(ILoggerFactory loggerFactory, ApiServerAddresses addresses, ApiHostOptions options)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly Dictionary<ApiAddress, Task<SharedSocketListener>> _listeners = new();

    public bool CanBind(EndPoint endpoint) => endpoint is LaneEndPoint;

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not LaneEndPoint lane)
            throw new NotSupportedException($"{endpoint} is not a Cleanroom API endpoint");
        Task<SharedSocketListener> opening;
        lock (_listeners)
        {
            if (!_listeners.TryGetValue(lane.Address, out opening!))
            {
                opening = OpenAsync(lane.Address, cancellationToken);
                _listeners[lane.Address] = opening;
            }
        }
        try
        {
            var shared = await opening.ConfigureAwait(false);
            return shared.OpenLane(lane.Lane);
        }
        catch
        {
            lock (_listeners) _listeners.Remove(lane.Address);
            throw;
        }
    }

    private async Task<SharedSocketListener> OpenAsync(ApiAddress address, CancellationToken cancellationToken)
    {
        var socket = await ListeningSocket.OpenAsync(address, options.Backlog, cancellationToken).ConfigureAwait(false);
        var shared = new SharedSocketListener(socket, options.FirstBytesTimeout, loggerFactory, tls: address is HttpsApiAddress);
        addresses.Add(address, shared.Address);
        shared.Closed += closed =>
        {
            lock (_listeners) _listeners.Remove(address);
            addresses.Remove(address);
        };
        return shared;
    }
}
