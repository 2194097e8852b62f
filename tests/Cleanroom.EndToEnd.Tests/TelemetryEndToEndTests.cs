using System.Net;
using System.Net.Sockets;
using Cleanroom.EndToEnd.Tests.Otlp;
using Google.Protobuf;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// <c>observability:</c> with a real OTLP/gRPC collector (the test's, on 127.0.0.1) and the Prometheus listener: one
/// <c>exec --rm</c> is one trace (the CLI's trace context on every call) with the RPC, start-up and execution spans
/// and their ids; the scrape endpoint's metrics move as sandboxes start and stop; the execution's timings are on its
/// record.
/// </summary>
public sealed class TelemetryEndToEndTests(TelemetryEndToEndTests.World world) : SharedServerTests(world.Server), IClassFixture<TelemetryEndToEndTests.World>
{
    private readonly OtlpTraceReceiver _collector = world.Collector;
    private readonly RealServer _server = world.Server;
    private readonly Uri _metrics = world.Metrics;

    /// <summary>The collector and one server exporting to it, shared by the class's tests (each leaves no sandbox behind).</summary>
    public sealed class World : IAsyncLifetime
    {
        public OtlpTraceReceiver Collector { get; private set; } = null!;

        public RealServer Server { get; private set; } = null!;

        public Uri Metrics { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Collector = await OtlpTraceReceiver.StartAsync();
            var port = FreeLoopbackPort();
            Metrics = new Uri($"http://127.0.0.1:{port}/metrics");
            Server = await RealServer.StartAsync(configYaml:
                $"observability:\n  otlp_endpoint: {Collector.Endpoint}\n  metrics_listen: http://127.0.0.1:{port}\n");
        }

        public async Task DisposeAsync()
        {
            if (Server is not null) await Server.DisposeAsync();
            if (Collector is not null) await Collector.DisposeAsync();
        }
    }

    [Fact]
    public async Task One_exec_rm_is_one_trace_with_its_rpc_startup_and_execution_spans()
    {
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator(16));
        var cliSpanId = Convert.ToHexStringLower(RandomNumberGenerator(8));
        var env = new Dictionary<string, string>(_server.Environment) { ["TRACEPARENT"] = $"00-{traceId}-{cliSpanId}-01" };
        var exec = await Shell.RunAsync([Product.Cleanroom, "exec", "--rm", "--", "echo", "traced"], env);
        Assert.True(exec.ExitCode == 0, exec.ToString());

        string[] wanted = ["cleanroom.v1.SandboxService/CreateSandbox", "sandbox.provision", "sandbox.network", "sandbox.start",
            "cleanroom.v1.ExecutionService/AttachExecution", "execution", "cleanroom.v1.SandboxService/TerminateSandbox"];
        var spans = (await _collector.WaitForAsync(
            received => wanted.All(name => received.Any(s => Hex(s.TraceId) == traceId && s.Name == name)), TimeSpan.FromSeconds(60)))
            .Where(s => Hex(s.TraceId) == traceId).ToList();

        var create = spans.Single(s => s.Name == "cleanroom.v1.SandboxService/CreateSandbox");
        var attach = spans.Single(s => s.Name == "cleanroom.v1.ExecutionService/AttachExecution");
        var provision = spans.Single(s => s.Name == "sandbox.provision");
        var execution = spans.Single(s => s.Name == "execution");
        // The RPC spans are children of the CLI's context; the work they started is theirs.
        Assert.All(spans.Where(s => s.Name.StartsWith("cleanroom.v1.", StringComparison.Ordinal)), s => Assert.Equal(cliSpanId, Hex(s.ParentSpanId)));
        Assert.Equal(Hex(create.SpanId), Hex(provision.ParentSpanId));
        Assert.Equal(Hex(provision.SpanId), Hex(spans.Single(s => s.Name == "sandbox.start").ParentSpanId));
        Assert.Equal(Hex(attach.SpanId), Hex(execution.ParentSpanId));

        var sandboxId = Attribute(create, "cleanroom.sandbox.id");
        Assert.StartsWith("sb-", sandboxId);
        Assert.Equal(sandboxId, Attribute(provision, "cleanroom.sandbox.id"));
        Assert.Equal(sandboxId, Attribute(execution, "cleanroom.sandbox.id"));
        Assert.StartsWith("ex-", Attribute(execution, "cleanroom.execution.id"));
        Assert.Equal("SUCCEEDED", Attribute(execution, "cleanroom.status"));
        Assert.Equal("grpc", Attribute(create, "rpc.system"));
        Assert.Equal("CreateSandbox", Attribute(create, "rpc.method"));

        // The run's timings: the first execution of its sandbox counts from the create and has every milestone.
        var status = await _server.CleanroomAsync("status", "--last-run");
        Assert.True(status.ExitCode == 0, status.ToString());
        var timings = status.Stdout.Split('\n').Single(l => l.StartsWith("timings:", StringComparison.Ordinal));
        foreach (var part in (string[])["image ", "network ", "sandbox ", "command ", "total "])
            Assert.Contains(part, timings);
    }

    [Fact]
    public async Task The_scrape_endpoint_counts_sandboxes_by_state_and_executions_as_they_start_and_stop()
    {
        var before = await ScrapeAsync();
        var create = await _server.CleanroomAsync("create");
        Assert.True(create.ExitCode == 0, create.ToString());
        var id = create.Stdout.Trim();
        Assert.Equal(0, (await _server.CleanroomAsync("exec", "--in", id, "--", "echo", "counted")).ExitCode);

        var running = await ScrapeAsync();
        Assert.Equal(Value(before, "cleanroom_sandboxes", ("state", "READY")) + 1, Value(running, "cleanroom_sandboxes", ("state", "READY")));
        Assert.True(Value(running, "cleanroom_execution_duration_seconds_count") >= Value(before, "cleanroom_execution_duration_seconds_count") + 1);
        Assert.True(Value(running, "cleanroom_sandbox_create_duration_seconds_count") >= Value(before, "cleanroom_sandbox_create_duration_seconds_count") + 1);
        // Buckets in seconds (a sandbox start of 0.3 s is told apart from one of 3 s), not the SDK's millisecond ones.
        Assert.Contains(running, s => s.Name == "cleanroom_sandbox_create_duration_seconds_bucket" && s.Labels.GetValueOrDefault("le") == "0.5");
        Assert.True(Value(running, "cleanroom_execution_output_bytes_total", ("stream", "stdout"))
            >= Value(before, "cleanroom_execution_output_bytes_total", ("stream", "stdout")) + "counted\n".Length);

        Assert.Equal(0, (await _server.CleanroomAsync("sandbox", "rm", id)).ExitCode);
        var stopped = await ScrapeAsync();
        Assert.Equal(Value(before, "cleanroom_sandboxes", ("state", "READY")), Value(stopped, "cleanroom_sandboxes", ("state", "READY")));
        Assert.Equal(Value(before, "cleanroom_sandboxes", ("state", "STOPPED")) + 1, Value(stopped, "cleanroom_sandboxes", ("state", "STOPPED")));
    }

    private async Task<IReadOnlyList<PrometheusSample>> ScrapeAsync()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(_metrics);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return PrometheusSample.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include <paramref name="labels"/> (0 when none).</summary>
    private static double Value(IReadOnlyList<PrometheusSample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    private static string Attribute(Span span, string key) =>
        span.Attributes.SingleOrDefault(a => a.Key == key)?.Value is { } value
            ? value.ValueCase == AnyValue.ValueOneofCase.IntValue ? value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : value.StringValue
            : throw new Xunit.Sdk.XunitException($"span {span.Name} has no attribute {key}");

    private static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.ToByteArray());

    private static byte[] RandomNumberGenerator(int length) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);

    internal static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
