using System.Net.Sockets;
using Cleanroom.Backends;

namespace Cleanroom.Server.Ports;

/// <summary>
/// Carries one accepted host connection to a port in a sandbox and back, as a TCP proxy does: each direction is copied
/// until its end of file, which is passed on as a half-close, and the pair ends when both directions have. A failure
/// in either direction drops both. Nothing is buffered beyond one copy buffer per direction: a side that does not
/// read stops the other side's copy (the agent's credit and TCP's window do the rest).
/// </summary>
internal static class PortPump
{
    private const int BufferSize = 64 * 1024;

    public static async Task RunAsync(Socket client, SandboxPortConnection sandbox, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var clientStream = new NetworkStream(client, ownsSocket: false);
        var toSandbox = CopyAsync(clientStream, sandbox.Stream, sandbox.ShutdownWriteAsync, stop);
        var toClient = CopyAsync(sandbox.Stream, clientStream, _ => ShutdownSendAsync(client), stop);
        await Task.WhenAll(toSandbox, toClient).ConfigureAwait(false);
    }

    private static Task ShutdownSendAsync(Socket socket)
    {
        socket.Shutdown(SocketShutdown.Send);
        return Task.CompletedTask;
    }

    private static async Task CopyAsync(Stream from, Stream to, Func<CancellationToken, Task> endOfData, CancellationTokenSource stop)
    {
        var buffer = new byte[BufferSize];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, stop.Token).ConfigureAwait(false)) > 0)
                await to.WriteAsync(buffer.AsMemory(0, read), stop.Token).ConfigureAwait(false);
            await endOfData(stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException
                                      or Cleanroom.Errors.CleanroomException)
        {
            // One direction failed (a reset, the sandbox ending, the server stopping): drop the whole connection.
            stop.Cancel();
        }
    }
}
