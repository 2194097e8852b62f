// Egress probe: tries one kind of network access from wherever it runs (inside a sandbox) and reports
// the outcome as its exit code (0 reached, 1 blocked or failed, 2 usage) and one line on stdout.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;

var options = ProbeArguments.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: probe tcp|udp|dns|ping|icmp-sockets|bench-connect|bench-throughput ARGS [--timeout MS] [--source IP] [--tcp] [--type A|AAAA]");
    return 2;
}
try
{
    return options.Command switch
    {
        "tcp" => await Probes.TcpAsync(options),
        "udp" => await Probes.UdpAsync(options),
        "dns" => await Probes.DnsAsync(options),
        "ping" => await Probes.PingAsync(options),
        "icmp-sockets" => Probes.IcmpSockets(),
        "bench-connect" => await Probes.BenchConnectAsync(options),
        "bench-throughput" => await Probes.BenchThroughputAsync(options),
        _ => 2,
    };
}
catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or InvalidDataException)
{
    Console.WriteLine($"failed {e.GetType().Name}: {e.Message}");
    return 1;
}

internal sealed record ProbeArguments(string Command, string[] Positional, int TimeoutMs, IPAddress? Source, bool Tcp, string Type)
{
    public static ProbeArguments? Parse(string[] args)
    {
        if (args.Length == 0)
            return null;
        var positional = new List<string>();
        int timeout = 2000;
        IPAddress? source = null;
        var tcp = false;
        var type = "A";
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--timeout": timeout = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--source": source = IPAddress.Parse(args[++i]); break;
                case "--tcp": tcp = true; break;
                case "--type": type = args[++i]; break;
                default: positional.Add(args[i]); break;
            }
        }
        return new ProbeArguments(args[0], positional.ToArray(), timeout, source, tcp, type);
    }

    public IPAddress Address(int index) => IPAddress.Parse(Positional[index]);

    public int Int(int index) => int.Parse(Positional[index], CultureInfo.InvariantCulture);
}

internal static class Probes
{
    /// <summary>Connects, sends a line and waits for it to come back: proof of a real round trip.</summary>
    public static async Task<int> TcpAsync(ProbeArguments o)
    {
        using var cts = new CancellationTokenSource(o.TimeoutMs);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (o.Source is not null)
            socket.Bind(new IPEndPoint(o.Source, 0));
        await socket.ConnectAsync(new IPEndPoint(o.Address(0), o.Int(1)), cts.Token);
        var sent = Encoding.ASCII.GetBytes("hello\n");
        await socket.SendAsync(sent, cts.Token);
        var buffer = new byte[64];
        var n = await socket.ReceiveAsync(buffer, cts.Token);
        Console.WriteLine($"reached {Encoding.ASCII.GetString(buffer, 0, n).Trim()}");
        return n > 0 ? 0 : 1;
    }

    public static async Task<int> UdpAsync(ProbeArguments o)
    {
        using var cts = new CancellationTokenSource(o.TimeoutMs);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(o.Source ?? IPAddress.Any, 0));
        await socket.SendToAsync(Encoding.ASCII.GetBytes("hello"), new IPEndPoint(o.Address(0), o.Int(1)), cts.Token);
        var buffer = new byte[64];
        var n = await socket.ReceiveAsync(buffer, cts.Token);
        Console.WriteLine($"reached {Encoding.ASCII.GetString(buffer, 0, n)}");
        return 0;
    }

    /// <summary>Asks one resolver one question; exit 0 when its response came, printing its code and A records.</summary>
    public static async Task<int> DnsAsync(ProbeArguments o)
    {
        using var cts = new CancellationTokenSource(o.TimeoutMs);
        var server = new IPEndPoint(o.Address(0), 53);
        var id = (ushort)Random.Shared.Next(ushort.MaxValue + 1);
        var query = DnsWire.Query(id, o.Positional[1], o.Type == "AAAA" ? DnsWire.TypeAaaa : DnsWire.TypeA);
        var answer = o.Tcp ? await DnsOverTcpAsync(server, query, id, cts.Token) : await DnsOverUdpAsync(server, query, id, cts.Token);
        var addresses = answer.ARecords.Select(a => a.Address.ToString());
        var ttls = answer.ARecords.Select(a => a.Ttl.ToString(CultureInfo.InvariantCulture));
        Console.WriteLine($"rcode={answer.ReturnCode} addresses={string.Join(',', addresses)} ttls={string.Join(',', ttls)} records={answer.AnswerCount}");
        return 0;
    }

    /// <summary>Datagrams that are not the response to this query (another id, garbage) are skipped, as a stub resolver does.</summary>
    private static async Task<DnsResponse> DnsOverUdpAsync(IPEndPoint server, byte[] query, ushort id, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, cancellationToken);
        await socket.SendAsync(query, cancellationToken);
        var buffer = new byte[65535];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, cancellationToken);
            if (DnsWire.Parse(buffer.AsSpan(0, n), id) is { } response)
                return response;
        }
    }

    private static async Task<DnsResponse> DnsOverTcpAsync(IPEndPoint server, byte[] query, ushort id, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, cancellationToken);
        var framed = new byte[2 + query.Length];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await socket.SendAsync(framed, cancellationToken);
        var length = new byte[2];
        await ReceiveExactlyAsync(socket, length, cancellationToken);
        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
        await ReceiveExactlyAsync(socket, message, cancellationToken);
        return DnsWire.Parse(message, id) ?? throw new InvalidDataException("the TCP response does not answer the query");
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        for (var read = 0; read < buffer.Length;)
        {
            var n = await socket.ReceiveAsync(buffer[read..], cancellationToken);
            if (n == 0)
                throw new IOException("the server closed the connection before the whole response came");
            read += n;
        }
    }

    /// <summary>
    /// Whether this kernel (a sandbox's) lets the program open an ICMP socket at all, raw or datagram ("ping"
    /// socket): prints <c>raw=… dgram=…</c> (ok or the socket error); exit 0 when either opened.
    /// </summary>
    public static int IcmpSockets()
    {
        var raw = TryOpen(SocketType.Raw);
        var dgram = TryOpen(SocketType.Dgram);
        Console.WriteLine($"raw={raw} dgram={dgram}");
        return raw == "ok" || dgram == "ok" ? 0 : 1;

        static string TryOpen(SocketType type)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, type, ProtocolType.Icmp);
                return "ok";
            }
            catch (SocketException e)
            {
                return e.SocketErrorCode.ToString();
            }
        }
    }

    public static async Task<int> PingAsync(ProbeArguments o)
    {
        using var ping = new Ping();
        var reply = await ping.SendPingAsync(o.Address(0), TimeSpan.FromMilliseconds(o.TimeoutMs));
        Console.WriteLine(reply.Status == IPStatus.Success ? "reached" : $"failed {reply.Status}");
        return reply.Status == IPStatus.Success ? 0 : 1;
    }

    /// <summary>Opens and closes COUNT connections one after another; prints mean and percentiles in microseconds.</summary>
    public static async Task<int> BenchConnectAsync(ProbeArguments o)
    {
        var target = new IPEndPoint(o.Address(0), o.Int(1));
        var samples = new List<double>();
        for (var i = 0; i < o.Int(2); i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var watch = Stopwatch.StartNew();
            await socket.ConnectAsync(target);
            samples.Add(watch.Elapsed.TotalMicroseconds);
        }
        samples.Sort();
        Console.WriteLine(FormattableString.Invariant(
            $"connect n={samples.Count} mean_us={samples.Average():0} p50_us={samples[samples.Count / 2]:0} p99_us={samples[(int)(samples.Count * 0.99)]:0}"));
        return 0;
    }

    /// <summary>Sends MEGABYTES to a discarding listener and prints the rate.</summary>
    public static async Task<int> BenchThroughputAsync(ProbeArguments o)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(o.Address(0), o.Int(1)));
        var chunk = new byte[256 * 1024];
        long total = (long)o.Int(2) * 1024 * 1024;
        var watch = Stopwatch.StartNew();
        for (long sent = 0; sent < total; sent += chunk.Length)
            await socket.SendAsync(chunk);
        socket.Shutdown(SocketShutdown.Send);
        await socket.ReceiveAsync(new byte[1]); // the listener closes once it has read everything
        var seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine(FormattableString.Invariant($"throughput bytes={total} seconds={seconds:0.000} mbit_s={total * 8 / seconds / 1e6:0}"));
        return 0;
    }
}
