using Cleanroom.RuntimeConfig;

namespace Cleanroom.RuntimeConfig.Tests;

/// <summary><c>observability:</c>: off by default, every key, and refusals of endpoints the exporters could not use.</summary>
public sealed class ObservabilitySectionTests
{
    [Fact]
    public void Defaults_export_nothing_and_open_no_listener()
    {
        Assert.Equal(ObservabilitySettings.Defaults, RuntimeConfigReader.Parse("").Configuration!.Observability);
        Assert.Null(ObservabilitySettings.Defaults.OtlpEndpoint);
        Assert.Null(ObservabilitySettings.Defaults.MetricsListen);
    }

    [Fact]
    public void Every_key_is_read()
    {
        var result = RuntimeConfigReader.Parse(
            "observability: {otlp_endpoint: \"http://127.0.0.1:4318\", otlp_protocol: http/protobuf, metrics_listen: \"http://127.0.0.1:9464\"}\n");

        Assert.Empty(result.Problems);
        var observability = result.Configuration!.Observability;
        Assert.Equal(new Uri("http://127.0.0.1:4318"), observability.OtlpEndpoint);
        Assert.Equal(OtlpProtocol.HttpProtobuf, observability.OtlpProtocol);
        Assert.Equal(new Uri("http://127.0.0.1:9464"), observability.MetricsListen);
    }

    [Fact]
    public void The_protocol_defaults_to_grpc()
    {
        var result = RuntimeConfigReader.Parse("observability: {otlp_endpoint: \"https://collector.example:4317\"}\n");

        Assert.Equal(OtlpProtocol.Grpc, result.Configuration!.Observability.OtlpProtocol);
    }

    [Theory]
    [InlineData("observability: {otlp_endpoint: \"ftp://collector:21\"}", "observability.otlp_endpoint")]
    [InlineData("observability: {otlp_endpoint: \"http://collector:4317/?x=1\"}", "observability.otlp_endpoint")]
    [InlineData("observability: {otlp_endpoint: collector}", "observability.otlp_endpoint")]
    [InlineData("observability: {otlp_protocol: http/json}", "observability.otlp_protocol")]
    [InlineData("observability: {metrics_listen: \"http://localhost:9464\"}", "observability.metrics_listen")]
    [InlineData("observability: {metrics_listen: \"https://127.0.0.1:9464\"}", "observability.metrics_listen")]
    [InlineData("observability: {metrics_listen: \"http://127.0.0.1\"}", "observability.metrics_listen")]
    [InlineData("observability: {metrics_listen: \"http://127.0.0.1:9464/metrics\"}", "observability.metrics_listen")]
    [InlineData("observability: {traces: on}", "observability.traces")]
    public void Bad_values_are_refused_where_they_are(string yaml, string path)
    {
        var result = RuntimeConfigReader.Parse(yaml);

        Assert.Null(result.Configuration);
        Assert.Contains(result.Problems, p => p.Path == path);
    }
}
