namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>observability:</c> section. <c>otlp_endpoint</c>: where traces and metrics are sent by OTLP (an http or
/// https URL; none: nothing is exported), over <c>otlp_protocol</c> <c>grpc</c> (the default, port 4317 by convention)
/// or <c>http/protobuf</c> (4318, the URL is then the base the <c>/v1/traces</c> and <c>/v1/metrics</c> paths go under).
/// <c>metrics_listen</c>: <c>http://ADDRESS:PORT</c> of a separate listener serving the Prometheus text format at
/// <c>/metrics</c> (none: no scrape endpoint). It is never the API's listener and carries no API.
/// </summary>
public sealed record ObservabilitySettings(Uri? OtlpEndpoint, OtlpProtocol OtlpProtocol, Uri? MetricsListen)
{
    public static ObservabilitySettings Defaults { get; } = new(null, OtlpProtocol.Grpc, null);
}

public enum OtlpProtocol
{
    Grpc,
    HttpProtobuf,
}
