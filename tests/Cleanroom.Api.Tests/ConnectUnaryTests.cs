using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using Cleanroom.Api.Errors;
using Cleanroom.Api.Tests.Support;
using Cleanroom.Api.Tests.TestDoubles;
using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Google.Protobuf;
using Google.Rpc;

namespace Cleanroom.Api.Tests;

/// <summary>Connect unary calls over HTTP/1.1 on the same unix socket that serves gRPC, with a plain HttpClient.</summary>
public sealed class ConnectUnaryTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private const string List = "/cleanroom.v1.SandboxService/ListSandboxes";
    private const string Get = "/cleanroom.v1.SandboxService/GetSandbox";
    private readonly HttpClient _http = RawHttp.Client(fixture.Server.Socket, HttpVersion.Version11);

    public static TheoryData<string, string, int> StableCodes => new()
    {
        { ErrorCode.PolicyInvalid, "invalid_argument", 400 },
        { ErrorCode.PolicyConflict, "invalid_argument", 400 },
        { ErrorCode.PolicyNotFound, "invalid_argument", 400 },
        { ErrorCode.InvalidArgument, "invalid_argument", 400 },
        { ErrorCode.ConfigInvalid, "failed_precondition", 400 },
        { ErrorCode.NotFound, "not_found", 404 },
        { ErrorCode.BackendUnavailable, "unavailable", 503 },
        { ErrorCode.BackendCapabilityMismatch, "failed_precondition", 400 },
        { ErrorCode.HostNotAllowed, "permission_denied", 403 },
        { ErrorCode.RegistryNotAllowed, "permission_denied", 403 },
        { ErrorCode.LockfileViolation, "permission_denied", 403 },
        { ErrorCode.SecretScopeViolation, "permission_denied", 403 },
        { ErrorCode.RuntimeLaunchFailed, "internal", 500 },
    };

    [Fact]
    public async Task Json_call_over_http1_returns_the_protobuf_json_of_the_result()
    {
        using var response = await ConnectWire.PostAsync(_http, List, "application/json", "{}"u8.ToArray());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version11, response.Version);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"sandboxId\": \"sb-1\"", json);
        Assert.Contains("\"SANDBOX_STATUS_READY\"", json);
        var parsed = JsonParser.Default.Parse<ListSandboxesResponse>(json);
        Assert.Equal(["sb-1", "sb-2"], parsed.Sandboxes.Select(s => s.SandboxId));
        Assert.Equal("fake", response.Headers.GetValues("x-served-by").Single());
        Assert.Equal(List, response.Headers.GetValues("x-http-path").Single());
        Assert.Equal("2", response.Headers.GetValues("trailer-x-sandbox-count").Single());
    }

    [Fact]
    public async Task Proto_call_returns_binary_protobuf()
    {
        var request = new GetSandboxRequest { SandboxId = "sb-1" }.ToByteArray();
        using var response = await ConnectWire.PostAsync(_http, Get, "application/proto", request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/proto", response.Content.Headers.ContentType?.MediaType);
        var parsed = GetSandboxResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("sb-1", parsed.Sandbox.SandboxId);
    }

    [Theory]
    [MemberData(nameof(StableCodes))]
    public async Task Stable_code_becomes_connect_error_json_with_ErrorInfo(string code, string connectCode, int httpStatus)
    {
        var body = Encoding.UTF8.GetBytes($"{{\"sandboxId\": \"{code}\"}}");
        using var response = await ConnectWire.PostAsync(_http, Get, "application/json", body);

        Assert.Equal(httpStatus, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        var root = json.RootElement;
        Assert.Equal(connectCode, root.GetProperty("code").GetString());
        Assert.Equal($"{code}: failure for {code}", root.GetProperty("message").GetString());
        var detail = root.GetProperty("details")[0];
        Assert.Equal("google.rpc.ErrorInfo", detail.GetProperty("type").GetString());
        var value = detail.GetProperty("value").GetString()!;
        Assert.DoesNotContain("=", value); // the spec asks for unpadded base64
        var info = ErrorInfo.Parser.ParseFrom(Convert.FromBase64String(value.PadRight(value.Length + (4 - value.Length % 4) % 4, '=')));
        Assert.Equal(code, info.Reason);
        Assert.Equal("cleanroom.dev", info.Domain);

        var back = WireErrorReader.FromConnectError(httpStatus, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(code, back.Code);
        Assert.Equal("registry.example.test", ((RemoteErrorException)back).Metadata["host"]);
    }

    [Fact]
    public async Task Unexpected_exception_is_internal_500_with_a_generic_message()
    {
        using var response = await ConnectWire.PostAsync(_http, Get, "application/json", """{"sandboxId":"boom"}"""u8.ToArray());

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"code\":\"internal\"", text);
        Assert.DoesNotContain("secret", text);
        Assert.DoesNotContain("Thing.cs", text);
    }

    [Fact]
    public async Task RpcException_from_a_service_keeps_its_status_and_gets_a_reason()
    {
        using var response = await ConnectWire.PostAsync(_http, Get, "application/json", """{"sandboxId":"rpc-not-found"}"""u8.ToArray());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = WireErrorReader.FromConnectError(404, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(ErrorCode.NotFound, error.Code);
    }

    [Fact]
    public async Task Unknown_json_fields_are_ignored()
    {
        using var response = await ConnectWire.PostAsync(_http, Get, "application/json",
            """{"sandboxId":"sb-1","fieldFromTheFuture":{"x":1}}"""u8.ToArray());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Malformed_json_is_invalid_argument()
    {
        using var response = await ConnectWire.PostAsync(_http, Get, "application/json", "{not json"u8.ToArray());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = WireErrorReader.FromConnectError(400, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
    }

    [Fact]
    public async Task Gzip_request_body_is_accepted()
    {
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write("""{"sandboxId":"sb-1"}"""u8);
        using var response = await ConnectWire.PostAsync(_http, Get, "application/json", compressed.ToArray(),
            ("Content-Encoding", "gzip"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("sb-1", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unsupported_compression_is_unimplemented_and_names_what_is_supported()
    {
        using var response = await ConnectWire.PostAsync(_http, Get, "application/json", "{}"u8.ToArray(),
            ("Content-Encoding", "br"));

        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        Assert.Contains("\"code\":\"unimplemented\"", await response.Content.ReadAsStringAsync());
        Assert.Equal("gzip", response.Headers.GetValues("Accept-Encoding").Single());
    }

    [Fact]
    public async Task Unknown_content_type_is_415()
    {
        using var response = await ConnectWire.PostAsync(_http, Get, "text/plain", "hi"u8.ToArray());

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Connect_timeout_becomes_deadline_exceeded()
    {
        using var response = await ConnectWire.PostAsync(_http, Get, "application/json", """{"sandboxId":"slow"}"""u8.ToArray(),
            ("Connect-Timeout-Ms", "100"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("\"code\":\"deadline_exceeded\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Wrong_protocol_version_is_invalid_argument()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, List) { Content = new ByteArrayContent("{}"u8.ToArray()) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("Connect-Protocol-Version", "2");
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Connect_works_over_http2_on_the_same_socket_too()
    {
        using var http2 = RawHttp.Client(fixture.Server.Socket, HttpVersion.Version20);
        using var response = await ConnectWire.PostAsync(http2, List, "application/json", "{}"u8.ToArray());

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("sb-2", await response.Content.ReadAsStringAsync());
    }

    public void Dispose() => _http.Dispose();
}
