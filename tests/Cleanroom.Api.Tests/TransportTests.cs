using System.Net;
using System.Net.Sockets;
using System.Text;
using Cleanroom.Api.Addressing;
using Cleanroom.Client;
using Cleanroom.Api.Tests.Support;
using Cleanroom.Api.V1;

namespace Cleanroom.Api.Tests;

/// <summary>One socket, two protocols: which connection gets which, with real clients and raw bytes.</summary>
public sealed class TransportTests
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private static readonly byte[] EmptySettingsFrame = [0, 0, 0, 0x4, 0, 0, 0, 0, 0];

    [Fact]
    public async Task Http1_and_http2_prior_knowledge_clients_share_the_socket()
    {
        await using var server = await TestServer.StartAsync();
        using var http1 = RawHttp.Client(server.Socket, HttpVersion.Version11);
        using var http2 = RawHttp.Client(server.Socket, HttpVersion.Version20);

        var one = await ConnectWire.PostAsync(http1, "/cleanroom.v1.SandboxService/ListSandboxes", "application/json", "{}"u8.ToArray());
        var two = await ConnectWire.PostAsync(http2, "/cleanroom.v1.SandboxService/ListSandboxes", "application/json", "{}"u8.ToArray());
        using var grpc = new CleanroomClient(server.Socket);
        var viaGrpc = await grpc.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest());

        Assert.Equal((HttpVersion.Version11, HttpStatusCode.OK), (one.Version, one.StatusCode));
        Assert.Equal((HttpVersion.Version20, HttpStatusCode.OK), (two.Version, two.StatusCode));
        Assert.Equal(2, viaGrpc.Sandboxes.Count);
    }

    [Fact]
    public async Task Loopback_tcp_listener_serves_both_protocols()
    {
        var requested = new HttpApiAddress("127.0.0.1", 0);
        await using var server = await TestServer.StartAsync(null, requested);
        var bound = (HttpApiAddress)server.BoundAddress(requested);
        Assert.NotEqual(0, bound.Port);

        using var http1 = RawHttp.Client(bound, HttpVersion.Version11);
        var viaConnect = await ConnectWire.PostAsync(http1, "/cleanroom.v1.SandboxService/ListSandboxes", "application/json", "{}"u8.ToArray());
        using var grpc = new CleanroomClient(bound);
        var viaGrpc = await grpc.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest());

        Assert.Equal(HttpStatusCode.OK, viaConnect.StatusCode);
        Assert.Equal(2, viaGrpc.Sandboxes.Count);
    }

    [Fact]
    public async Task Silent_client_delays_nobody_and_is_closed_after_the_first_bytes_timeout()
    {
        await using var server = await TestServer.StartAsync(o => o.FirstBytesTimeout = TimeSpan.FromSeconds(2));
        using var silent = await ConnectRawAsync(server.Socket);

        using var http1 = RawHttp.Client(server.Socket, HttpVersion.Version11);
        var response = await ConnectWire.PostAsync(http1, "/cleanroom.v1.SandboxService/ListSandboxes", "application/json", "{}"u8.ToArray());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Served while the silent connection is still open: nobody waited for it to be dropped.
        Assert.False(silent.Poll(0, SelectMode.SelectRead), "the silent connection was closed before the other client was served");
        // Then the server hangs up on it: the read ends with EOF, well before this test's own limit.
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var read = await silent.ReceiveAsync(new byte[16], SocketFlags.None, limit.Token);
        Assert.Equal(0, read);
    }

    [Fact]
    public async Task Preface_split_across_writes_still_reaches_http2()
    {
        await using var server = await TestServer.StartAsync();
        using var socket = await ConnectRawAsync(server.Socket);

        await socket.SendAsync(Preface.AsMemory(0, 7), SocketFlags.None); // "PRI * H"
        await Task.Delay(30); // not a wait for an event: it makes the server likely to peek the fragment alone
        await socket.SendAsync(Preface.AsMemory(7), SocketFlags.None);
        await socket.SendAsync(EmptySettingsFrame, SocketFlags.None);

        // An HTTP/2 server's first frame is its SETTINGS frame (type 0x4); an HTTP/1.1 server would answer 400 text.
        var header = new byte[9];
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ReceiveExactlyAsync(socket, header, limit.Token);
        Assert.Equal(0x4, header[3]);
    }

    [Fact]
    public async Task Curl_json_call_on_the_unix_socket()
    {
        if (Curl.Missing(out var why)) { Console.WriteLine($"SKIPPED curl test: {why}"); return; }
        await using var server = await TestServer.StartAsync();

        var (exit, stdout, stderr) = await Curl.RunAsync("-sS", "--unix-socket", server.Socket.Path,
            "-H", "Content-Type: application/json", "-d", "{}", "http://localhost/cleanroom.v1.SandboxService/ListSandboxes");

        Assert.True(exit == 0, stderr);
        Assert.Contains("\"sandboxId\": \"sb-1\"", stdout);
    }

    [Fact]
    public async Task Curl_http2_prior_knowledge_gets_an_http2_answer()
    {
        if (Curl.Missing(out var why)) { Console.WriteLine($"SKIPPED curl test: {why}"); return; }
        await using var server = await TestServer.StartAsync();

        var (exit, stdout, stderr) = await Curl.RunAsync("-sS", "--http2-prior-knowledge", "--unix-socket", server.Socket.Path,
            "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
            "-H", "Content-Type: application/json", "-d", "{}", "http://localhost/cleanroom.v1.SandboxService/ListSandboxes");

        Assert.True(exit == 0, stderr);
        Assert.Equal("2 200", stdout.Trim());
    }

    private static async Task<Socket> ConnectRawAsync(UnixApiAddress address)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(address.Path));
        return socket;
    }

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer, CancellationToken token)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, token);
            if (read == 0) throw new EndOfStreamException($"server closed after {Encoding.ASCII.GetString(buffer, 0, filled)}");
            filled += read;
        }
    }
}
