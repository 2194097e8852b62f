using System.Net.Sockets;
using Cleanroom.Agent.Interop;

namespace Cleanroom.Agent;

/// <summary>
/// Opens the byte stream the protocol runs over. The protocol needs nothing but an ordered, reliable
/// byte stream in each direction, so the same session runs over pipes, a socket or a serial port.
/// </summary>
internal static class AgentTransport
{
    public static (Stream Input, Stream Output) Open(AgentOptions options) => options.Transport switch
    {
        TransportKind.Stdio => (
            new FileDescriptorStream(FileDescriptors.Borrow(0), "stdin"),
            new FileDescriptorStream(FileDescriptors.Borrow(1), "stdout")),
        TransportKind.Socket => Both(ConnectSocket(options.Path!)),
        _ => throw new ArgumentOutOfRangeException(nameof(options)),
    };

    /// <summary>
    /// The agent connects and the host listens (the host creates the socket before it starts the
    /// sandbox). One session: the agent ends with the connection. See <see cref="ListeningChannel"/> for
    /// the transport that outlives its host.
    /// </summary>
    private static Stream ConnectSocket(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static (Stream, Stream) Both(Stream stream) => (stream, stream);
}
