using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using Cleanroom.Api.Errors;
using Cleanroom.Api.Tests.Support;
using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Google.Protobuf;

namespace Cleanroom.Api.Tests;

/// <summary>Connect server streaming (connect+json, connect+proto) over HTTP/1.1, read envelope by envelope.</summary>
public sealed class ConnectStreamingTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private const string Events = "/cleanroom.v1.SandboxService/StreamSandboxEvents";
    private const string Output = "/cleanroom.v1.ExecutionService/StreamExecution";
    private readonly HttpClient _http = RawHttp.Client(fixture.Server.Socket, HttpVersion.Version11);

    [Fact]
    public async Task Json_stream_is_enveloped_messages_then_an_empty_end_of_stream()
    {
        var request = ConnectWire.Envelope(0, """{"sandboxId":"sb-9"}"""u8.ToArray());
        using var response = await ConnectWire.PostAsync(_http, Events, "application/connect+json", request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/connect+json", response.Content.Headers.ContentType?.MediaType);
        var envelopes = ConnectWire.ReadEnvelopes(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(4, envelopes.Count);
        var messages = envelopes.Take(3).Select(e =>
        {
            Assert.Equal(0, e.Flags);
            return JsonParser.Default.Parse<SandboxEvent>(Encoding.UTF8.GetString(e.Payload));
        }).ToList();
        Assert.Equal([SandboxStatus.Provisioning, SandboxStatus.Ready, SandboxStatus.Stopping], messages.Select(m => m.Status));
        Assert.All(messages, m => Assert.Equal("sb-9", m.SandboxId));

        var (flags, payload) = envelopes[3];
        Assert.Equal(0x02, flags);
        using var end = JsonDocument.Parse(payload);
        Assert.False(end.RootElement.TryGetProperty("error", out _));
        Assert.Equal("3", end.RootElement.GetProperty("metadata").GetProperty("x-events")[0].GetString());
    }

    [Fact]
    public async Task Proto_stream_carries_binary_messages_and_a_json_end_of_stream()
    {
        var request = ConnectWire.Envelope(0, new StreamExecutionRequest { SandboxId = "sb-1", ExecutionId = "ex-1" }.ToByteArray());
        using var response = await ConnectWire.PostAsync(_http, Output, "application/connect+proto", request);

        Assert.Equal("application/connect+proto", response.Content.Headers.ContentType?.MediaType);
        var envelopes = ConnectWire.ReadEnvelopes(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(4, envelopes.Count);
        var events = envelopes.Take(3).Select(e => ExecutionStreamEvent.Parser.ParseFrom(e.Payload)).ToList();
        Assert.Equal("hello\n", events[0].Stdout.ToStringUtf8());
        Assert.Equal("warn\n", events[1].Stderr.ToStringUtf8());
        Assert.Equal(3, events[2].Exit.ExitCode);
        Assert.Equal(0x02, envelopes[3].Flags);
        Assert.Equal("{}", Encoding.UTF8.GetString(envelopes[3].Payload));
    }

    [Fact]
    public async Task Error_midway_arrives_in_the_end_of_stream_after_the_earlier_messages()
    {
        var request = ConnectWire.Envelope(0, """{"sandboxId":"fail-mid-stream"}"""u8.ToArray());
        using var response = await ConnectWire.PostAsync(_http, Events, "application/connect+json", request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // stream errors never change the HTTP status
        var envelopes = ConnectWire.ReadEnvelopes(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(3, envelopes.Count);
        Assert.Equal(0x02, envelopes[2].Flags);
        using var end = JsonDocument.Parse(envelopes[2].Payload);
        var error = end.RootElement.GetProperty("error");
        Assert.Equal("unavailable", error.GetProperty("code").GetString());
        Assert.Equal("google.rpc.ErrorInfo", error.GetProperty("details")[0].GetProperty("type").GetString());

        var parsed = ConnectErrorJson.Parse(error);
        Assert.NotNull(parsed);
        var back = WireErrorReader.FromConnectError(parsed);
        Assert.Equal(ErrorCode.BackendUnavailable, back.Code);
        Assert.Equal("backend went away", back.Message);
    }

    [Fact]
    public async Task Gzip_compressed_request_envelope_is_accepted()
    {
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(new StreamSandboxEventsRequest { SandboxId = "sb-z" }.ToByteArray());
        var request = ConnectWire.Envelope(0x01, compressed.ToArray());
        using var response = await ConnectWire.PostAsync(_http, Events, "application/connect+proto", request,
            ("Connect-Content-Encoding", "gzip"));

        var envelopes = ConnectWire.ReadEnvelopes(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("sb-z", SandboxEvent.Parser.ParseFrom(envelopes[0].Payload).SandboxId);
        Assert.Equal(0x02, envelopes[^1].Flags);
        Assert.DoesNotContain("error", Encoding.UTF8.GetString(envelopes[^1].Payload));
    }

    [Fact]
    public async Task Malformed_request_envelope_ends_the_stream_with_invalid_argument()
    {
        using var response = await ConnectWire.PostAsync(_http, Events, "application/connect+json", [0, 0, 0]);

        var envelopes = ConnectWire.ReadEnvelopes(await response.Content.ReadAsByteArrayAsync());
        var end = Assert.Single(envelopes);
        Assert.Equal(0x02, end.Flags);
        Assert.Contains("\"code\":\"invalid_argument\"", Encoding.UTF8.GetString(end.Payload));
    }

    [Fact]
    public async Task Unary_content_type_on_a_streaming_method_is_415()
    {
        using var response = await ConnectWire.PostAsync(_http, Events, "application/json", "{}"u8.ToArray());

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    public void Dispose() => _http.Dispose();
}
