using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf.Reflection;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Tests;

/// <summary>
/// Bad requests on every RPC of the real server (real services, real store): malformed JSON and protobuf, invalid
/// UTF-8, random bytes from a fixed seed, oversized messages and huge metadata, over Connect and gRPC. Each gets a
/// client-class error carrying a stable code, within a deadline, and the server answers a good call afterwards.
/// </summary>
public sealed class ApiFuzzTests : IAsyncLifetime
{
    private static readonly ServiceDescriptor[] Services =
    [
        V1.SandboxService.Descriptor, V1.ExecutionService.Descriptor, V1.WorkspaceService.Descriptor,
        V1.PortService.Descriptor, V1.SystemService.Descriptor, V1.IdentityService.Descriptor,
    ];

    private ServerUnderTest _server = null!;

    public async Task InitializeAsync() => _server = await ServerUnderTest.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string> Methods()
    {
        var data = new TheoryData<string>();
        foreach (var service in Services)
            foreach (var method in service.Methods) data.Add($"{service.FullName}/{method.Name}");
        return data;
    }

    private static MethodDescriptor Describe(string path) =>
        Services.SelectMany(s => s.Methods).Single(m => $"{m.Service.FullName}/{m.Name}" == path);

    private HttpClient Client(Version version)
    {
        var socket = _server.SocketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var connection = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await connection.ConnectAsync(new UnixDomainSocketEndPoint(socket), token);
                return new NetworkStream(connection, ownsSocket: true);
            },
        };
        return new HttpClient(handler)
        {
            BaseAddress = new Uri("http://localhost"),
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            // A hang is a failure: every bad request must be answered well within this.
            Timeout = TimeSpan.FromSeconds(20),
        };
    }

    /// <summary>
    /// Bad bodies for <paramref name="method"/>, each with whether it must be refused: broken JSON, a field of the
    /// wrong type, invalid UTF-8, a length past the end, and random bytes (which may happen to parse: those need
    /// only be answered without a server fault).
    /// </summary>
    private static IEnumerable<(string Kind, string ContentType, byte[] Body, bool MustRefuse)> BadBodies(MethodDescriptor method, int seed)
    {
        var random = new Random(seed);
        byte[] Bytes(int n) { var b = new byte[n]; random.NextBytes(b); return b; }
        yield return ("truncated json", "application/json", "{\"sandboxId\": \"sb-"u8.ToArray(), true);
        yield return ("json of the wrong shape", "application/json", "[1, 2, {\"x\": null}]"u8.ToArray(), true);
        yield return ("invalid utf-8 in json", "application/json", [.. "{\"x\": \""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8], true);
        if (method.InputType.Fields.InFieldNumberOrder().FirstOrDefault() is { } field)
        {
            // An object where the first field wants a scalar, or a number where it wants a message, list or map.
            var wrong = field.FieldType == FieldType.Message || field.IsRepeated || field.IsMap ? "5" : "{\"nested\": true}";
            yield return ($"wrong type for {field.JsonName}", "application/json", Encoding.UTF8.GetBytes($"{{\"{field.JsonName}\": {wrong}}}"), true);
        }
        yield return ("protobuf with a length past the end", "application/proto", [0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0x01], true);
        yield return ("random json bytes", "application/json", Bytes(200), false);
        yield return ("random protobuf", "application/proto", Bytes(300), false);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task Bad_connect_requests_get_client_errors_with_stable_codes(string path)
    {
        var method = Describe(path);
        using var http = Client(HttpVersion.Version11);
        var seed = path.Aggregate(17, (h, c) => h * 31 + c);
        foreach (var (kind, contentType, body, mustRefuse) in BadBodies(method, seed))
        {
            var streaming = method.IsServerStreaming || method.IsClientStreaming;
            var type = streaming ? contentType.Replace("application/", "application/connect+") : contentType;
            var payload = streaming ? Envelope(body) : body;
            using var request = new HttpRequestMessage(HttpMethod.Post, "/" + path) { Content = new ByteArrayContent(payload) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();

            if (streaming && response.StatusCode == HttpStatusCode.OK)
            {
                // A Connect stream ends with its error, if any, in the end-of-stream message.
                Assert.False(text.Contains("\"code\":\"internal\"") || text.Contains("\"code\":\"unknown\""), $"{path}, {kind}: stream ended with {text}");
                if (mustRefuse) Assert.True(text.Contains("\"code\":"), $"{path}, {kind}: stream ended with {text}");
                continue;
            }
            Assert.True((int)response.StatusCode < 500, $"{path}, {kind}: HTTP {(int)response.StatusCode} {text}");
            if (mustRefuse || !response.IsSuccessStatusCode)
            {
                Assert.True((int)response.StatusCode is >= 400 and < 500, $"{path}, {kind}: HTTP {(int)response.StatusCode} {text}");
                Assert.Contains("\"code\":", text);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task Bad_grpc_messages_get_client_errors_with_stable_codes(string path)
    {
        using var http = Client(HttpVersion.Version20);
        var random = new Random(path.Length);
        byte[][] messages = [[0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0x01], [0x0A, 0x03, 0xC3, 0x28, 0xFF], [.. Enumerable.Range(0, 64).Select(_ => (byte)random.Next(256))]];
        foreach (var message in messages)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/" + path) { Content = new ByteArrayContent(GrpcFrame(message)), Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
            request.Headers.TryAddWithoutValidation("TE", "trailers");
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            var status = GrpcStatus(response);

            // OK can only be a message that happened to parse and asked for nothing harmful; server faults cannot.
            Assert.True(status is not (2 or 13 or 14 or 15), $"{path}: grpc-status {status} {Header(response, "grpc-message")}");
            if (status != 0) Assert.NotNull(Header(response, "grpc-status-details-bin"));
        }
    }

    [Fact]
    public async Task Oversized_messages_and_huge_metadata_are_refused_and_the_server_keeps_answering()
    {
        using var http2 = Client(HttpVersion.Version20);
        var huge = new byte[17 * 1024 * 1024];
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/cleanroom.v1.SandboxService/CreateSandbox") { Content = new ByteArrayContent(GrpcFrame(huge)), Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact })
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
            using var response = await http2.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(8, GrpcStatus(response)); // RESOURCE_EXHAUSTED
        }

        using var http1 = Client(HttpVersion.Version11);
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/cleanroom.v1.SandboxService/ListSandboxes") { Content = new StringContent("{}", Encoding.UTF8, "application/json") })
        {
            request.Headers.TryAddWithoutValidation("X-Padding", new string('a', 200_000));
            using var response = await http1.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/cleanroom.v1.SandboxService/ListSandboxes") { Content = new ByteArrayContent(new byte[17 * 1024 * 1024]) })
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
            using var response = await http1.SendAsync(request);
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"HTTP {(int)response.StatusCode}");
        }

        var alive = await _server.RunCliAsync("sandbox", "ls");
        Assert.True(alive.ExitCode == 0, alive.Error);
    }

    private static byte[] Envelope(byte[] payload) =>
        [0, (byte)(payload.Length >> 24), (byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, .. payload];

    private static byte[] GrpcFrame(byte[] payload) => Envelope(payload);

    private static int GrpcStatus(HttpResponseMessage response) =>
        int.Parse(Header(response, "grpc-status") ?? throw new Xunit.Sdk.XunitException($"no grpc-status (HTTP {(int)response.StatusCode})"));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var trailing) ? trailing.First()
        : response.Headers.TryGetValues(name, out var leading) ? leading.First() : null;
}
