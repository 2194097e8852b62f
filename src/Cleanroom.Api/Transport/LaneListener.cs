using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace Cleanroom.Api.Transport;

/// <summary>What Kestrel sees for one lane: a listener whose connections were accepted and sniffed elsewhere.</summary>
internal sealed class LaneListener(SharedSocketListener owner, ConnectionLane lane,
    ChannelReader<ConnectionContext> connections, EndPoint endPoint) : IConnectionListener
{
    public EndPoint EndPoint { get; } = endPoint;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await connections.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null; // Kestrel's signal that this listener is done.
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => owner.CloseLaneAsync(lane);

    public ValueTask DisposeAsync() => owner.CloseLaneAsync(lane);
}
