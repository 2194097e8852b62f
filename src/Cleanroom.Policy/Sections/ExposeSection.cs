using System.Collections.Immutable;
using Cleanroom.Policy.Yaml;

namespace Cleanroom.Policy.Sections;

/// <summary>
/// Compiles <c>expose.https</c>: HTTPS routes into the sandbox that <c>--expose-https</c> can pick up.
/// Host entries are ingress templates, so <c>*</c> labels and the <c>{base}</c> / <c>{sandbox_id}</c>
/// placeholders are allowed; egress host rules do not apply here.
/// </summary>
internal static class ExposeSection
{
    private const string BasePlaceholder = "{base}";
    private static readonly string[] Placeholders = [BasePlaceholder, "{sandbox_id}"];

    public static ExposeHttps? Read(SourceNode node, string path, PolicyDiagnostics diagnostics)
    {
        if (StrictMapping.Read(node, path, diagnostics, "https") is not { } expose
            || expose["https"] is not { } httpsNode
            || StrictMapping.Read(httpsNode, expose.PathOf("https"), diagnostics, "base", "routes") is not { } https)
        {
            return null;
        }

        string? baseTemplate = null;
        if (https["base"] is { } baseNode && ScalarValues.String(baseNode, https.PathOf("base"), diagnostics) is { } text)
        {
            baseTemplate = NormalizeTemplate(text, allowBase: false, out var error);
            if (baseTemplate is null)
            {
                diagnostics.Invalid(https.PathOf("base"), baseNode, error);
            }
        }

        var routes = new List<HttpsRoute>();
        var firstRouteForPort = new Dictionary<int, string>();
        if (https["routes"] is { } routesNode && ScalarValues.Sequence(routesNode, https.PathOf("routes"), diagnostics) is { } items)
        {
            for (var i = 0; i < items.Length; i++)
            {
                var route = ReadRoute(items[i], PolicyPath.Item(https.PathOf("routes"), i), https.Has("base"), diagnostics);
                if (route is null)
                {
                    continue;
                }

                if (firstRouteForPort.TryGetValue(route.Port, out var first))
                {
                    diagnostics.Invalid(PolicyPath.Item(https.PathOf("routes"), i), items[i],
                        $"port {route.Port} already has a route at {first}; list all its hosts in that route");
                    continue;
                }

                firstRouteForPort.Add(route.Port, PolicyPath.Item(https.PathOf("routes"), i));
                routes.Add(route);
            }
        }

        // An https block that names no base and no routes exposes nothing: the same as leaving it out.
        return baseTemplate is null && routes.Count == 0
            ? null
            : new ExposeHttps(baseTemplate, [.. routes.OrderBy(r => r.Port)]);
    }

    private static HttpsRoute? ReadRoute(SourceNode node, string path, bool hasBase, PolicyDiagnostics diagnostics)
    {
        if (StrictMapping.Read(node, path, diagnostics, "port", "hosts") is not { } route)
        {
            return null;
        }

        int? port = null;
        if (route.Required("port", diagnostics, "the port inside the sandbox to route to") is { } portNode
            && ScalarValues.Integer(portNode, route.PathOf("port"), diagnostics) is { } value)
        {
            if (value is < 1 or > 65535)
            {
                diagnostics.Invalid(route.PathOf("port"), portNode, $"port {value} is out of range; ports are 1..65535");
            }
            else
            {
                port = (int)value;
            }
        }

        var hosts = new SortedSet<string>(StringComparer.Ordinal);
        if (route.Required("hosts", diagnostics, "the host names this route serves, e.g. [\"{base}\"]") is { } hostsNode
            && ScalarValues.Sequence(hostsNode, route.PathOf("hosts"), diagnostics) is { } items)
        {
            if (items.Length == 0)
            {
                diagnostics.Invalid(route.PathOf("hosts"), hostsNode, "hosts must list at least one host");
            }

            for (var i = 0; i < items.Length; i++)
            {
                var hostPath = PolicyPath.Item(route.PathOf("hosts"), i);
                if (ScalarValues.String(items[i], hostPath, diagnostics) is not { } text)
                {
                    continue;
                }

                var host = NormalizeTemplate(text, allowBase: true, out var error);
                if (host is not null && !hasBase && host.Contains(BasePlaceholder, StringComparison.Ordinal))
                {
                    error = "{base} is used but expose.https.base is not set";
                    host = null;
                }

                if (host is null)
                {
                    diagnostics.Invalid(hostPath, items[i], error);
                }
                else
                {
                    hosts.Add(host);
                }
            }
        }

        return port is null || hosts.Count == 0 ? null : new HttpsRoute(port.Value, [.. hosts]);
    }

    /// <summary>Lowercases a host template and checks that, placeholders aside, it is a DNS name pattern.</summary>
    internal static string? NormalizeTemplate(string text, bool allowBase, out string error)
    {
        error = "";
        var lower = text.ToLowerInvariant();
        var probe = lower;
        foreach (var placeholder in Placeholders)
        {
            if (placeholder == BasePlaceholder && !allowBase && probe.Contains(placeholder, StringComparison.Ordinal))
            {
                error = "expose.https.base cannot refer to {base}";
                return null;
            }

            probe = probe.Replace(placeholder, "x", StringComparison.Ordinal);
        }

        if (probe.Contains('{') || probe.Contains('}'))
        {
            error = $"\"{text}\" uses an unknown placeholder; only {{base}} and {{sandbox_id}} are supported";
            return null;
        }

        var labels = probe.Split('.');
        var valid = probe.Length is > 0 and <= 253 && labels.All(label => label == "*" || (label.Length is > 0 and <= 63
            && label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            && !label.StartsWith('-') && !label.EndsWith('-')));
        if (!valid)
        {
            error = $"\"{text}\" is not a host name template (DNS labels, '*' labels, {{base}} and {{sandbox_id}})";
            return null;
        }

        return lower;
    }
}
