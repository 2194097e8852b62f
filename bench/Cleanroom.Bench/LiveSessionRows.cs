using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Cleanroom.Api.Addressing;
using Cleanroom.Client;
using Cleanroom.Api.V1;
using Cleanroom.Policy;
using Google.Protobuf;
using Grpc.Core;

namespace Cleanroom.Bench;

/// <summary>
/// Live sessions and ports on a READY sandbox, each against the same thing on the host in the same run: one byte
/// through <c>cat</c> and back over AttachExecution against a host <c>cat</c> on pipes; stdin throughput against a
/// host pipe; TCP from the host through <c>--expose</c> against a direct loopback connection to a host process.
/// </summary>
internal sealed class LiveSessionRows(Report report, int roundTrips, CompiledPolicy policy)
{
    private const long StdinBytes = 256L << 20;
    private const long TcpBytes = 256L << 20;
    private const int GuestPort = 9000;

    public async Task MeasureAsync(GvisorServer server)
    {
        using var client = new CleanroomClient(new UnixApiAddress(server.Socket));
        // busybox: its nc is the sandbox's TCP endpoint for the exposure row.
        var sandboxId = (await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest
        {
            PolicyJson = policy.CanonicalJson,
            PolicyHash = policy.PolicyHash,
            ImageRef = "cleanroom.local/busybox:latest",
        })).Sandbox.SandboxId;
        try
        {
            report.Compare("stdin round trip, 1 byte through cat (median of " + roundTrips + ")",
                await RoundTripsAsync(client, sandboxId), HostCatRoundTrips(), target: "< 2 ms", server.Platform);
            report.Throughput($"stdin throughput ({StdinBytes >> 20} MiB into cat > /dev/null)",
                await StdinThroughputAsync(client, sandboxId), HostPipeThroughput(), target: ">= stdout's", server.Platform);
            report.Throughput($"TCP through --expose ({TcpBytes >> 20} MiB from the sandbox)",
                await ExposeThroughputAsync(client, sandboxId), await LoopbackThroughputAsync(), target: "-", server.Platform, baseline: "direct loopback to a host process");
        }
        finally
        {
            await client.Sandboxes.TerminateSandboxAsync(new TerminateSandboxRequest { SandboxId = sandboxId });
        }
    }

    private async Task<Measurement> RoundTripsAsync(CleanroomClient client, string sandboxId)
    {
        using var call = Attach(client, sandboxId, "cat");
        await call.ResponseStream.MoveNext(CancellationToken.None); // the opening event
        var samples = new List<double>(roundTrips);
        var clock = new Stopwatch();
        for (var i = 0; i < roundTrips + 10; i++)
        {
            clock.Restart();
            await call.RequestStream.WriteAsync(new AttachExecutionRequest { Stdin = ByteString.CopyFrom((byte)'x') });
            while (await call.ResponseStream.MoveNext(CancellationToken.None) && call.ResponseStream.Current.Stdout.IsEmpty)
            {
            }
            if (i >= 10) // the first few warm up the path
                samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        await call.RequestStream.WriteAsync(new AttachExecutionRequest { CloseStdin = true });
        await DrainAsync(call);
        return new Measurement("AttachExecution → cat → stdout", samples);
    }

    private Measurement HostCatRoundTrips()
    {
        using var cat = Process.Start(new ProcessStartInfo("cat") { RedirectStandardInput = true, RedirectStandardOutput = true })!;
        var (input, output) = (cat.StandardInput.BaseStream, cat.StandardOutput.BaseStream);
        var samples = new List<double>(roundTrips);
        var buffer = new byte[1];
        var clock = new Stopwatch();
        for (var i = 0; i < roundTrips + 10; i++)
        {
            clock.Restart();
            input.WriteByte((byte)'x');
            input.Flush();
            _ = output.Read(buffer);
            if (i >= 10)
                samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        cat.StandardInput.Close();
        cat.WaitForExit();
        return new Measurement("host cat on pipes", samples);
    }

    private static async Task<double> StdinThroughputAsync(CleanroomClient client, string sandboxId)
    {
        using var call = Attach(client, sandboxId, "sh", "-c", "cat > /dev/null");
        await call.ResponseStream.MoveNext(CancellationToken.None);
        var chunk = ByteString.CopyFrom(new byte[64 * 1024]);
        var clock = Stopwatch.StartNew();
        for (long sent = 0; sent < StdinBytes; sent += chunk.Length)
            await call.RequestStream.WriteAsync(new AttachExecutionRequest { Stdin = chunk });
        await call.RequestStream.WriteAsync(new AttachExecutionRequest { CloseStdin = true });
        await DrainAsync(call);
        return StdinBytes / clock.Elapsed.TotalSeconds / 1e6;
    }

    private static double HostPipeThroughput()
    {
        using var cat = Process.Start(new ProcessStartInfo("sh", ["-c", "cat > /dev/null"]) { RedirectStandardInput = true })!;
        var chunk = new byte[64 * 1024];
        var clock = Stopwatch.StartNew();
        for (long sent = 0; sent < StdinBytes; sent += chunk.Length)
            cat.StandardInput.BaseStream.Write(chunk);
        cat.StandardInput.Close();
        cat.WaitForExit();
        return StdinBytes / clock.Elapsed.TotalSeconds / 1e6;
    }

    /// <summary>Reads <see cref="TcpBytes"/> that busybox nc in the sandbox sends from /dev/zero, through an exposure.</summary>
    private static async Task<double> ExposeThroughputAsync(CleanroomClient client, string sandboxId)
    {
        using (var start = Attach(client, sandboxId, "sh", "-c", $"nc -l -p {GuestPort} < /dev/zero > /dev/null 2>&1 &"))
        {
            await start.RequestStream.CompleteAsync();
            await DrainAsync(start);
        }
        var request = new ExposePortsRequest { SandboxId = sandboxId };
        request.Tcp.Add(new PortExposure { GuestPort = GuestPort });
        var exposure = (await client.Ports.ExposePortsAsync(request)).Tcp[0];
        // nc was started in the background: until it listens, the exposure closes each connection at once.
        for (var attempt = 0; ; attempt++)
        {
            var (bytes, seconds) = await ReadAsync(new IPEndPoint(IPAddress.Parse(exposure.HostAddress), (int)exposure.HostPort));
            if (bytes == TcpBytes)
                return bytes / seconds / 1e6;
            if (attempt == 50)
                throw new InvalidOperationException($"the exposure carried {bytes} bytes, not {TcpBytes}");
            await Task.Delay(100);
        }
    }

    private static async Task<double> LoopbackThroughputAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var zeros = new byte[64 * 1024];
            try
            {
                while (true)
                    await socket.SendAsync(zeros, SocketFlags.None);
            }
            catch (SocketException)
            {
                // the reader had enough and closed
            }
        });
        var (bytes, seconds) = await ReadAsync((IPEndPoint)listener.LocalEndpoint);
        await serving;
        return bytes / seconds / 1e6;
    }

    private static async Task<(long Bytes, double Seconds)> ReadAsync(IPEndPoint endpoint)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint);
        var buffer = new byte[256 * 1024];
        long total = 0;
        var clock = Stopwatch.StartNew();
        int read;
        while (total < TcpBytes && (read = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, TcpBytes - total)), SocketFlags.None)) > 0)
            total += read;
        return (total, clock.Elapsed.TotalSeconds);
    }

    private static AsyncDuplexStreamingCall<AttachExecutionRequest, ExecutionStreamEvent> Attach(CleanroomClient client, string sandboxId, params string[] command)
    {
        var call = client.Executions.AttachExecution();
        var create = new CreateExecutionRequest { SandboxId = sandboxId, Options = new ExecutionOptions { Stdin = true } };
        create.Command.AddRange(command);
        call.RequestStream.WriteAsync(new AttachExecutionRequest { Create = create }).GetAwaiter().GetResult();
        return call;
    }

    private static async Task DrainAsync(AsyncDuplexStreamingCall<AttachExecutionRequest, ExecutionStreamEvent> call)
    {
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
        }
    }
}
