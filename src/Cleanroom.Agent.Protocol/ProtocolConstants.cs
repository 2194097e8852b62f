namespace Cleanroom.Agent.Protocol;

/// <summary>Numbers both ends must agree on.</summary>
public static class ProtocolConstants
{
    /// <summary>Bumped on any incompatible change; the host refuses an agent with another version.</summary>
    public const uint Version = 1;

    /// <summary>
    /// The one line an agent started with <c>--listen</c> writes on its standard output once its socket accepts
    /// connections: the host's signal to connect (no polling for the socket file).
    /// </summary>
    public const string ListeningReadyLine = "cleanroom-agent listening";

    /// <summary>type (1) + channel (4) + payload length (4).</summary>
    public const int HeaderSize = 9;

    /// <summary>
    /// Largest payload either side accepts. Bounds what a hostile peer can make us allocate per frame,
    /// and keeps one execution's frame from holding the shared stream for long.
    /// </summary>
    public const int MaxPayloadSize = 1024 * 1024;

    /// <summary>Size of the data chunks the agent and the client send (stdout, stdin, file data).</summary>
    public const int DataChunkSize = 64 * 1024;

    /// <summary>The connection-level channel.</summary>
    public const uint ConnectionChannel = 0;
}
