using System.Collections.Concurrent;
using System.Diagnostics;
using Cleanroom.Api.Observation;
using Cleanroom.Api.Tests.Support;
using Cleanroom.Api.V1;
using Cleanroom.Client;
using Cleanroom.Telemetry;

namespace Cleanroom.Api.Tests;

/// <summary>
/// A server span per call, gRPC and Connect alike, a child of the caller's <c>traceparent</c>: what lets one CLI
/// command's calls form one trace. Spans are caught with a real <see cref="ActivityListener"/> on the Cleanroom source.
/// </summary>
public sealed class RpcTracingTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly SemaphoreSlim _stopped = new(0);
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name == CleanroomTelemetry.Name,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    [Fact]
    public async Task A_grpc_call_is_a_server_span_under_the_callers_trace_context()
    {
        _listener.ActivityStopped = Stopped;
        ActivitySource.AddActivityListener(_listener);
        var traceParent = TraceContext.NewTraceParent();
        using var client = new CleanroomClient(new CleanroomClientOptions { Address = fixture.Server.Socket, TraceParent = traceParent });

        await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest());

        var parent = ActivityContext.Parse(traceParent, null);
        // The span ends when the middleware returns, which may be just after the client has its answer.
        var span = await StoppedAsync(s => s.TraceId == parent.TraceId);
        Assert.Equal("cleanroom.v1.SandboxService/ListSandboxes", span.DisplayName);
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal(parent.SpanId, span.ParentSpanId);
        Assert.Equal("grpc", span.GetTagItem("rpc.system"));
        Assert.Equal("ListSandboxes", span.GetTagItem("rpc.method"));
    }

    [Fact]
    public async Task A_connect_call_is_traced_too_and_a_call_without_context_starts_its_own_trace()
    {
        _listener.ActivityStopped = Stopped;
        ActivitySource.AddActivityListener(_listener);
        using var http = RawHttp.Client(fixture.Server.Socket, System.Net.HttpVersion.Version11);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/cleanroom.v1.SandboxService/ListSandboxes")
        {
            Content = new ByteArrayContent("{}"u8.ToArray()) { Headers = { ContentType = new("application/json") } },
        };

        using var response = await http.SendAsync(request);

        Assert.True(response.IsSuccessStatusCode);
        await StoppedAsync(s => s.DisplayName == "cleanroom.v1.SandboxService/ListSandboxes"
            && (string?)s.GetTagItem("rpc.system") == "connect_rpc" && s.ParentSpanId == default);
    }

    [Theory]
    [InlineData("/cleanroom.v1.SandboxService/CreateSandbox", "cleanroom.v1.SandboxService", "CreateSandbox")]
    [InlineData("/a.B/C", "a.B", "C")]
    public void Call_paths_name_their_service_and_method(string path, string service, string method) =>
        Assert.Equal((service, method), RpcTracing.Method(path));

    [Theory]
    [InlineData("/")]
    [InlineData("/ui/")]
    [InlineData("/a/b/c")]
    [InlineData("//C")]
    [InlineData("")]
    public void Other_paths_are_not_calls(string path) => Assert.Null(RpcTracing.Method(path));

    private void Stopped(Activity span)
    {
        _spans.Enqueue(span);
        _stopped.Release();
    }

    /// <summary>
    /// A stopped span that <paramref name="wanted"/> picks, waiting for it with a deadline. The listener hears every
    /// server in this process (other test classes run theirs at the same time), so the predicate must pick ours.
    /// </summary>
    private async Task<Activity> StoppedAsync(Func<Activity, bool> wanted)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!_spans.Any(wanted))
            await _stopped.WaitAsync(deadline.Token);
        return _spans.First(wanted);
    }

    public void Dispose() => _listener.Dispose();
}
