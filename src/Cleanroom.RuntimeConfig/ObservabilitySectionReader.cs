using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>Reads <c>observability:</c> — <c>otlp_endpoint</c>, <c>otlp_protocol</c> and <c>metrics_listen</c> (see <see cref="ObservabilitySettings"/>).</summary>
internal static class ObservabilitySectionReader
{
    public static ObservabilitySettings? Read(YamlNode section, List<ConfigProblem> problems) =>
        SettingsSection.Read(section, "observability", ObservabilitySettings.Defaults, ["otlp_endpoint", "otlp_protocol", "metrics_listen"], problems,
            (settings, key, value, path) => key switch
            {
                "otlp_endpoint" => settings with { OtlpEndpoint = Url(value, path, problems, IsOtlpEndpoint, "must be an http:// or https:// URL with no query, e.g. http://127.0.0.1:4317") },
                "otlp_protocol" => settings with
                {
                    OtlpProtocol = RuntimeConfigReader.ValidScalar(value, path, t => t is "grpc" or "http/protobuf", "must be grpc or http/protobuf", problems) == "http/protobuf"
                        ? OtlpProtocol.HttpProtobuf
                        : OtlpProtocol.Grpc,
                },
                _ => settings with { MetricsListen = Url(value, path, problems, IsMetricsListen, "must be http://ADDRESS:PORT with an IP address and a port, e.g. http://127.0.0.1:9464") },
            });

    private static Uri? Url(YamlNode value, string path, List<ConfigProblem> problems, Func<Uri, bool> valid, string rule)
    {
        var text = RuntimeConfigReader.ValidScalar(value, path,
            t => Uri.TryCreate(t, UriKind.Absolute, out var uri) && valid(uri), rule, problems);
        return text is null ? null : new Uri(text);
    }

    private static bool IsOtlpEndpoint(Uri uri) =>
        (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0;

    // An address, not a name: the listener binds it, and a name could resolve to something else tomorrow.
    private static bool IsMetricsListen(Uri uri) =>
        uri.Scheme == Uri.UriSchemeHttp && uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
        && !uri.IsDefaultPort && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.UserInfo.Length == 0;
}
