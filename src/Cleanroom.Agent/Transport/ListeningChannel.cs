using System.Net.Sockets;
using System.Text;
using Cleanroom.Agent.Interop;
using Cleanroom.Agent.Protocol;

namespace Cleanroom.Agent;

/// <summary>
/// The agent listens on a unix socket in a directory the host shares with the sandbox (gVisor with
/// <c>--host-uds=create</c> makes the socket a real one on the host), and serves one host connection after
/// another: a server that restarts simply connects again. The socket lives as long as the sandbox, not as
/// long as a server.
/// Readiness is one line, <see cref="ProtocolConstants.ListeningReadyLine"/>, on standard output once the socket listens; standard
/// output then points at /dev/null, so nothing written later can block on, or die of, a reader that left.
/// </summary>
internal sealed class ListeningChannel : IDisposable
{
    private readonly Socket _listener;
    private readonly string _path;

    private ListeningChannel(Socket listener, string path)
    {
        _listener = listener;
        _path = path;
    }

    public static ListeningChannel Open(string path)
    {
        // A socket file left by an earlier agent of this sandbox (never another's: the directory is its own).
        if (File.Exists(path))
            File.Delete(path);
        // Bound and listening under a temporary name, then renamed: the path appears only once connections are
        // accepted, so a host that waits for it (after a restore) never finds a socket that refuses it.
        var pending = path + ".new";
        if (File.Exists(pending))
            File.Delete(pending);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(pending));
            // Whoever connects is served as the host: only root (the agent's own user) may. The directory is root's
            // 0700 too, so an unprivileged workload cannot even reach the path.
            File.SetUnixFileMode(pending, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(4);
            File.Move(pending, path, overwrite: true);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        return new ListeningChannel(listener, path);
    }

    /// <summary>Tells whoever started the sandbox that the socket is ready, then lets go of standard output.</summary>
    public static void AnnounceReady()
    {
        var line = Encoding.ASCII.GetBytes(ProtocolConstants.ListeningReadyLine + "\n");
        try
        {
            FileDescriptors.WriteAll(FileDescriptors.Borrow(1), line);
        }
        catch (UnixException e)
        {
            AgentLog.Error($"cannot announce readiness on standard output: {e.Message}");
        }
        FileDescriptors.PointAtDevNull(1);
    }

    /// <summary>Waits for the next host; the stream ends when that host disconnects.</summary>
    public Stream Accept() => new NetworkStream(_listener.Accept(), ownsSocket: true);

    /// <summary>
    /// Stops listening and removes the socket file, so a host that connects before the agent listens again finds no
    /// socket rather than a dead one, and the file's reappearance says the agent listens again.
    /// </summary>
    public void Close()
    {
        _listener.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AgentLog.Error($"cannot remove {_path}: {e.Message}");
        }
    }

    public void Dispose() => _listener.Dispose();
}
