using Cleanroom.Policy.Yaml;

namespace Cleanroom.Policy.Rules;

/// <summary>
/// Reads one <c>allow:</c> list. Entries are either the shorthand <c>"host:port"</c> (IPv6 as
/// <c>"[2001:db8::1]:443"</c>) or a mapping <c>{host, ports: [...]}</c> whose host is a bare name or IP
/// (IPv6 bare or bracketed). Output is unmerged host/port pairs; merging happens per stage.
/// </summary>
internal static class EgressRuleParser
{
    public static List<(string Host, int Port)> ReadAllowList(SourceNode node, string path, PolicyDiagnostics diagnostics)
    {
        var pairs = new List<(string, int)>();
        // Upstream's examples write a single rule as a bare "host:port" string: it is the one-entry list.
        if (node is SourceScalar { IsNull: false } single)
        {
            ReadShorthand(single, PolicyPath.Item(path, 0), diagnostics, pairs);
            return pairs;
        }

        var items = ScalarValues.Sequence(node, path, diagnostics);
        if (items is null)
        {
            return pairs;
        }

        for (var i = 0; i < items.Value.Length; i++)
        {
            var itemPath = PolicyPath.Item(path, i);
            switch (items.Value[i])
            {
                case SourceScalar { IsNull: false } scalar:
                    ReadShorthand(scalar, itemPath, diagnostics, pairs);
                    break;
                case SourceMapping mapping:
                    ReadMappingEntry(mapping, itemPath, diagnostics, pairs);
                    break;
                default:
                    diagnostics.Invalid(itemPath, items.Value[i],
                        $"an allow entry is a \"host:port\" string or a {{host, ports}} mapping, not {ScalarValues.Describe(items.Value[i])}");
                    break;
            }
        }

        return pairs;
    }

    private static void ReadShorthand(SourceScalar scalar, string path, PolicyDiagnostics diagnostics, List<(string, int)> pairs)
    {
        var text = scalar.Value;
        var shapeError = HostName.RejectNonHostShape(text);
        if (shapeError is not null)
        {
            diagnostics.Invalid(path, scalar, shapeError);
            return;
        }

        string hostPart;
        string portPart;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0 || close == text.Length - 1)
            {
                diagnostics.Invalid(path, scalar, close < 0
                    ? $"\"{text}\" has an opening bracket but no closing one"
                    : $"\"{text}\" has no port; write \"{text}:443\" or use {{host, ports: [...]}}");
                return;
            }

            if (text[close + 1] != ':')
            {
                diagnostics.Invalid(path, scalar, $"\"{text}\" must be \"[IPv6 address]:port\"");
                return;
            }

            hostPart = text[..(close + 1)];
            portPart = text[(close + 2)..];
        }
        else
        {
            var colons = text.Count(c => c == ':');
            if (colons == 0)
            {
                diagnostics.Invalid(path, scalar, $"\"{text}\" has no port; write \"{text}:443\" or use {{host, ports: [...]}}");
                return;
            }

            if (colons > 1)
            {
                diagnostics.Invalid(path, scalar,
                    $"\"{text}\" is ambiguous; IPv6 addresses in the \"host:port\" form must be in brackets, e.g. \"[2001:db8::1]:443\"");
                return;
            }

            var colon = text.IndexOf(':');
            hostPart = text[..colon];
            portPart = text[(colon + 1)..];
        }

        var host = HostName.Normalize(hostPart, out var hostError);
        if (host is null)
        {
            diagnostics.Invalid(path, scalar, hostError);
        }

        var port = ParsePort(portPart, out var portError);
        if (port is null)
        {
            diagnostics.Invalid(path, scalar, portError);
        }

        if (host is not null && port is not null)
        {
            pairs.Add((host, port.Value));
        }
    }

    private static void ReadMappingEntry(SourceMapping node, string path, PolicyDiagnostics diagnostics, List<(string, int)> pairs)
    {
        var mapping = StrictMapping.Read(node, path, diagnostics, "host", "ports");
        if (mapping is null)
        {
            return;
        }

        string? host = null;
        var hostNode = mapping.Required("host", diagnostics, "the exact host name or IP address to allow");
        if (hostNode is not null && ScalarValues.String(hostNode, mapping.PathOf("host"), diagnostics) is { } rawHost)
        {
            host = HostName.Normalize(rawHost, out var hostError);
            if (host is null)
            {
                diagnostics.Invalid(mapping.PathOf("host"), hostNode, hostError);
            }
        }

        var portsNode = mapping.Required("ports", diagnostics, "a host without ports allows nothing; list them, e.g. ports: [443]");
        if (portsNode is null || ScalarValues.Sequence(portsNode, mapping.PathOf("ports"), diagnostics) is not { } ports)
        {
            return;
        }

        if (ports.Length == 0)
        {
            diagnostics.Invalid(mapping.PathOf("ports"), portsNode, "ports must list at least one port");
            return;
        }

        for (var i = 0; i < ports.Length; i++)
        {
            var portPath = PolicyPath.Item(mapping.PathOf("ports"), i);
            if (ports[i] is not SourceScalar { IsPlain: true } scalar)
            {
                diagnostics.Invalid(portPath, ports[i],
                    $"a port must be an unquoted integer between 1 and 65535, not {ScalarValues.Describe(ports[i])}");
                continue;
            }

            var port = ParsePort(scalar.Value, out var portError);
            if (port is null)
            {
                diagnostics.Invalid(portPath, scalar, portError);
            }
            else if (host is not null)
            {
                pairs.Add((host, port.Value));
            }
        }
    }

    /// <summary>A port from its text; digits only, 1..65535.</summary>
    public static int? ParsePort(string text, out string error)
    {
        error = PortErrorFor(text) ?? "";
        return error.Length == 0 ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private static string? PortErrorFor(string text)
    {
        var digits = text.StartsWith('-') ? text[1..] : text;
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
        {
            return $"port \"{text}\" is not an integer; a port is a number between 1 and 65535";
        }

        var tooLong = digits.TrimStart('0').Length > 5;
        if (text.StartsWith('-') || tooLong || int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture) is < 1 or > 65535)
        {
            return $"port {text} is out of range; ports are 1..65535";
        }

        return null;
    }
}
