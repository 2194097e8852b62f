using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cleanroom.EndToEnd.Tests.Otlp;

/// <summary>
/// A small OTLP/gRPC trace collector on 127.0.0.1 (plaintext HTTP/2, as collectors listen on 4317): keeps every span
/// it is sent, so a test can wait for the spans of one trace and check their names, parents and attributes.
/// </summary>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ReceivedSpans _spans;

    private OtlpTraceReceiver(WebApplication app, ReceivedSpans spans, Uri endpoint)
    {
        _app = app;
        _spans = spans;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public static async Task<OtlpTraceReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var spans = new ReceivedSpans();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(spans);
        var app = builder.Build();
        app.MapGrpcService<Collector>();
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        return new OtlpTraceReceiver(app, spans, new Uri($"http://127.0.0.1:{port}"));
    }

    /// <summary>Waits until <paramref name="done"/> holds for the spans received so far, or fails at the deadline.</summary>
    public async Task<IReadOnlyList<Span>> WaitForAsync(Func<IReadOnlyList<Span>, bool> done, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        while (true)
        {
            var changed = _spans.Changed;
            var now = _spans.Snapshot();
            if (done(now)) return now;
            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                var names = string.Join(", ", now.Select(s => s.Name));
                throw new TimeoutException($"the spans wanted did not arrive within {deadline.TotalSeconds:0} s; received: {(names.Length == 0 ? "none" : names)}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class Collector(ReceivedSpans spans) : TraceService.TraceServiceBase
    {
        public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
        {
            spans.Add(request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans));
            return Task.FromResult(new ExportTraceServiceResponse());
        }
    }

    /// <summary>The spans so far, and a task that completes at the next arrival (a fresh one after each).</summary>
    private sealed class ReceivedSpans
    {
        private readonly Lock _gate = new();
        private readonly List<Span> _spans = [];
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Changed
        {
            get { lock (_gate) return _changed.Task; }
        }

        public IReadOnlyList<Span> Snapshot()
        {
            lock (_gate) return [.. _spans];
        }

        public void Add(IEnumerable<Span> spans)
        {
            TaskCompletionSource changed;
            lock (_gate)
            {
                _spans.AddRange(spans);
                changed = _changed;
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            changed.TrySetResult();
        }
    }
}
