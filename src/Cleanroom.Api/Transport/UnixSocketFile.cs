using System.Net.Sockets;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Errors;
using Cleanroom.Api.Interop;
using Cleanroom.Errors;

namespace Cleanroom.Api.Transport;

/// <summary>
/// The hygiene around a listening unix socket: a private directory, refusing to start beside a live server,
/// replacing a dead one's leftover socket, mode 0600, and removing only our own socket file at shutdown.
/// </summary>
internal static class UnixSocketFile
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateSocket = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Binds and listens on <paramref name="address"/>; returns the socket and the inode of its file.</summary>
    public static async Task<(Socket Socket, ulong Inode)> BindAsync(UnixApiAddress address, int backlog, CancellationToken cancellationToken)
    {
        var path = address.Path;
        EnsureDirectory(Path.GetDirectoryName(path)!);
        await RefuseLiveServerAsync(address, cancellationToken).ConfigureAwait(false);

        // Bind under a private temporary name, restrict it, then rename it into place: the public name never
        // points at a socket with wider permissions, and a stale socket is replaced in one atomic step.
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}");
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(temporary));
            File.SetUnixFileMode(temporary, PrivateSocket);
            File.Move(temporary, path, overwrite: true);
            socket.Listen(backlog);
            var inode = UnixFileStatus.Get(path)?.Inode ?? 0;
            return (socket, inode);
        }
        catch
        {
            socket.Dispose();
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Removes the socket file if it is still the one we bound (a newer server may have replaced it).</summary>
    public static void Remove(string path, ulong inode)
    {
        var status = UnixFileStatus.Get(path);
        if (status is { Kind: UnixFileKind.Socket } && status.Inode == inode) File.Delete(path);
    }

    private static void EnsureDirectory(string directory)
    {
        var status = UnixFileStatus.Get(directory);
        if (status is null)
        {
            Directory.CreateDirectory(directory, PrivateDirectory);
            // CreateDirectory's mode is filtered by the umask; the socket's directory must be exactly 0700.
            File.SetUnixFileMode(directory, PrivateDirectory);
            return;
        }
        if (status.Kind != UnixFileKind.Directory)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"socket directory {directory} exists and is not a directory");
        // Somebody else's directory (other than root's, e.g. /run or /tmp) could hold a socket they control.
        if (status.OwnerId != UnixFileStatus.EffectiveUserId && status.OwnerId != 0)
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"socket directory {directory} belongs to uid {status.OwnerId}, not to this user; remove it or choose another --listen path");
    }

    private static async Task RefuseLiveServerAsync(UnixApiAddress address, CancellationToken cancellationToken)
    {
        var status = UnixFileStatus.Get(address.Path);
        if (status is null) return;
        if (status.Kind != UnixFileKind.Socket)
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"{address.Path} exists and is not a socket; refusing to replace it");

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(address.Path), timeout.Token).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return; // Nobody accepts on it: a dead server's leftover, replaced by the rename in BindAsync.
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ServerAlreadyRunningException(address, "its socket accepts connections but is not answering");
        }
        throw new ServerAlreadyRunningException(address, "its socket accepts connections");
    }
}
