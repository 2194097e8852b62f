using System.Net;
using Cleanroom.Errors;
using Cleanroom.RuntimeConfig;
using Cleanroom.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cleanroom.Server.Observability;

/// <summary>
/// The OpenTelemetry SDK's side of the server's spans and instruments (declared in Cleanroom.Telemetry): OTLP export
/// of traces and metrics when <c>observability.otlp_endpoint</c> is set, and the Prometheus scrape listener on
/// <c>observability.metrics_listen</c>. With neither, nothing listens and spans are never even created. Disposing
/// flushes what is batched. The SDK also honours the standard <c>OTEL_*</c> variables (batch delay, export interval).
/// </summary>
public sealed class TelemetryExport : IDisposable
{
    private readonly TracerProvider? _traces;
    private readonly MeterProvider? _metrics;

    private TelemetryExport(TracerProvider? traces, MeterProvider? metrics)
    {
        _traces = traces;
        _metrics = metrics;
    }

    /// <exception cref="CleanroomException"><c>config_invalid</c> when the metrics listener cannot listen there.</exception>
    public static TelemetryExport Start(ObservabilitySettings settings)
    {
        if (settings.OtlpEndpoint is null && settings.MetricsListen is null)
            return new TelemetryExport(null, null);
        var resource = ResourceBuilder.CreateDefault().AddService("cleanroom",
            serviceVersion: typeof(TelemetryExport).Assembly.GetName().Version?.ToString(), serviceInstanceId: Dns.GetHostName());

        TracerProvider? traces = null;
        if (settings.OtlpEndpoint is { } tracesEndpoint)
        {
            traces = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(resource)
                .AddSource(CleanroomTelemetry.Name)
                .AddOtlpExporter(otlp => Configure(otlp, tracesEndpoint, settings.OtlpProtocol, "v1/traces"))
                .Build();
        }

        var meters = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(CleanroomTelemetry.Name);
        if (settings.OtlpEndpoint is { } metricsEndpoint)
            meters.AddOtlpExporter(otlp => Configure(otlp, metricsEndpoint, settings.OtlpProtocol, "v1/metrics"));
        if (settings.MetricsListen is { } listen)
            meters.AddPrometheusHttpListener(prometheus =>
            {
                prometheus.Host = listen.Host;
                prometheus.Port = listen.Port;
                prometheus.ScrapeEndpointPath = "/metrics";
            });
        try
        {
            return new TelemetryExport(traces, meters.Build());
        }
        catch (Exception e) when (e is HttpListenerException or InvalidOperationException)
        {
            traces?.Dispose();
            throw new CleanroomException(ErrorCode.ConfigInvalid,
                $"observability.metrics_listen: cannot listen on {settings.MetricsListen}: {(e.InnerException ?? e).Message}");
        }
    }

    // With http/protobuf, an endpoint given in code is the signal's full URL; with gRPC it is the collector's base.
    private static void Configure(OtlpExporterOptions otlp, Uri endpoint, OtlpProtocol protocol, string signalPath)
    {
        otlp.Protocol = protocol == OtlpProtocol.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        otlp.Endpoint = protocol == OtlpProtocol.HttpProtobuf
            ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath)
            : endpoint;
    }

    public void Dispose()
    {
        _traces?.Dispose();
        _metrics?.Dispose();
    }
}
