using System.Net;
using System.Net.Sockets;
using Cleanroom.Client;
using Cleanroom.Api.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cleanroom.Cli.Ports;

/// <summary>
/// <c>cleanroom port-forward</c>: listens on this host and carries each accepted connection to a port in the sandbox
/// over its own ForwardPort call, until stopped. Works against a remote server too: the listener is the client's.
/// A connection that cannot be made (nothing listens in the sandbox) is closed and reported; the listener goes on.
/// </summary>
internal sealed class PortForwarder(CliConsole console, CleanroomClient client, string sandboxId, PortSpec spec)
{
    private const int ChunkSize = 64 * 1024;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var listener = new Socket(spec.HostAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(spec.HostAddress, spec.HostPort));
            listener.Listen(128);
        }
        catch (SocketException e)
        {
            throw new Cleanroom.Errors.CleanroomException(
                e.SocketErrorCode == SocketError.AddressNotAvailable ? Cleanroom.Errors.ErrorCode.InvalidArgument : Cleanroom.Errors.ErrorCode.PortInUse,
                $"cannot listen on {PortSpec.Format(spec.HostAddress, spec.HostPort)}: {e.Message}");
        }
        var bound = (IPEndPoint)listener.LocalEndPoint!;
        console.Error.WriteLine($"cleanroom: forwarding {PortSpec.Format(bound.Address, bound.Port)} -> sandbox {sandboxId} port {spec.GuestPort} (Ctrl-C stops)");
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var accepted = await listener.AcceptAsync(cancellationToken);
                accepted.NoDelay = true;
                connections.RemoveAll(t => t.IsCompleted);
                connections.Add(CarryAsync(accepted, cancellationToken));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Task.WhenAll(connections);
        }
    }

    private async Task CarryAsync(Socket socket, CancellationToken cancellationToken)
    {
        using (socket)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                using var call = client.Ports.ForwardPort(cancellationToken: stop.Token);
                await call.RequestStream.WriteAsync(new ForwardPortRequest { Open = new ForwardPortTarget { SandboxId = sandboxId, GuestPort = spec.GuestPort } }, stop.Token);
                if (!await call.ResponseStream.MoveNext(stop.Token) || !call.ResponseStream.Current.Connected)
                    return;
                await using var local = new NetworkStream(socket, ownsSocket: false);
                var toSandbox = SendAsync(local, call.RequestStream, stop.Token);
                var toLocal = ReceiveAsync(call.ResponseStream, local, socket, stop.Token);
                var first = await Task.WhenAny(toSandbox, toLocal);
                if (!first.IsCompletedSuccessfully)
                    await stop.CancelAsync();
                await Task.WhenAll(toSandbox, toLocal);
            }
            catch (Exception e) when (e is RpcException or Cleanroom.Errors.CleanroomException or IOException or SocketException or OperationCanceledException)
            {
                if (!cancellationToken.IsCancellationRequested)
                    console.Error.WriteLine($"cleanroom: a connection to sandbox port {spec.GuestPort} failed: {e.Message}");
            }
        }
    }

    private static async Task SendAsync(Stream local, IClientStreamWriter<ForwardPortRequest> requests, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkSize];
        int read;
        while ((read = await local.ReadAsync(buffer, cancellationToken)) > 0)
            await requests.WriteAsync(new ForwardPortRequest { Data = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
        await requests.WriteAsync(new ForwardPortRequest { End = true }, cancellationToken);
        await requests.CompleteAsync();
    }

    private static async Task ReceiveAsync(IAsyncStreamReader<ForwardPortResponse> responses, Stream local, Socket socket, CancellationToken cancellationToken)
    {
        while (await responses.MoveNext(cancellationToken))
        {
            var response = responses.Current;
            if (response.EventCase == ForwardPortResponse.EventOneofCase.Data)
                await local.WriteAsync(response.Data.Memory, cancellationToken);
            else if (response.EventCase == ForwardPortResponse.EventOneofCase.End)
                break;
        }
        socket.Shutdown(SocketShutdown.Send);
    }
}
