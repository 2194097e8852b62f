using Cleanroom.Agent.Protocol;

namespace Cleanroom.Agent.Client;

/// <summary>The client side of one channel (an execution or a file transfer).</summary>
internal interface IChannelHandler
{
    /// <summary>
    /// Called on the connection's reader, in order; must not block. Throws <see cref="AgentException"/>
    /// (protocol violation) or <see cref="ProtocolException"/> for a frame the channel must not receive,
    /// which closes the connection.
    /// </summary>
    void OnFrame(Frame frame);

    void OnConnectionLost(AgentException error);
}
