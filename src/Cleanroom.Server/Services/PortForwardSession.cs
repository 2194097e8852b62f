using Cleanroom.Backends;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Google.Protobuf;
using Grpc.Core;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>
/// One ForwardPort call: the first request names the sandbox and port, then bytes flow both ways with a half-close
/// each way. Memory stays bounded: a write into the sandbox waits for the agent's credit while no further request is
/// read (HTTP/2 flow control holds the client back), and output is read from the sandbox only as fast as the client
/// takes it. The call ends when both directions have; the client leaving drops the connection in the sandbox.
/// </summary>
internal sealed class PortForwardSession(
    SandboxControl control,
    IAsyncStreamReader<V1.ForwardPortRequest> requests,
    IServerStreamWriter<V1.ForwardPortResponse> responses,
    Func<string, Task> requireSandbox)
{
    private const int ChunkSize = 64 * 1024;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!await requests.MoveNext(cancellationToken) || requests.Current.ActionCase != V1.ForwardPortRequest.ActionOneofCase.Open)
            throw new CleanroomException(ErrorCode.InvalidArgument, "ForwardPort needs a first request with open (sandbox_id and guest_port)");
        var target = requests.Current.Open;
        var sandboxId = SandboxApi.RequireId(target.SandboxId, "open.sandbox_id");
        var port = PortApi.GuestPort(target.GuestPort, "open.guest_port");
        await requireSandbox(sandboxId);

        await using var connection = await control.Ports(sandboxId).ConnectPortAsync(port, cancellationToken);
        await responses.WriteAsync(new V1.ForwardPortResponse { Connected = true }, cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inbound = PumpInAsync(connection, stop.Token);
        var outbound = PumpOutAsync(connection, stop.Token);
        try
        {
            // A bad request or a failed direction ends the whole call with its error; the other one is stopped.
            var first = await Task.WhenAny(inbound, outbound);
            if (!first.IsCompletedSuccessfully)
            {
                await stop.CancelAsync();
                await first;
            }
            await (first == inbound ? outbound : inbound);
        }
        finally
        {
            await stop.CancelAsync();
        }
    }

    private async Task PumpInAsync(SandboxPortConnection connection, CancellationToken cancellationToken)
    {
        while (await requests.MoveNext(cancellationToken))
        {
            var request = requests.Current;
            switch (request.ActionCase)
            {
                case V1.ForwardPortRequest.ActionOneofCase.Data:
                    await connection.Stream.WriteAsync(request.Data.Memory, cancellationToken);
                    break;
                case V1.ForwardPortRequest.ActionOneofCase.End when request.End:
                    await connection.ShutdownWriteAsync(cancellationToken);
                    return;
                default:
                    throw new CleanroomException(ErrorCode.InvalidArgument, "after open, ForwardPort takes only data and end");
            }
        }
        // The client closed its side of the call without `end`: the same as ending.
        await connection.ShutdownWriteAsync(cancellationToken);
    }

    private async Task PumpOutAsync(SandboxPortConnection connection, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkSize];
        int read;
        while ((read = await connection.Stream.ReadAsync(buffer, cancellationToken)) > 0)
            await responses.WriteAsync(new V1.ForwardPortResponse { Data = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
        await responses.WriteAsync(new V1.ForwardPortResponse { End = true }, cancellationToken);
    }
}
