using System.Collections.Immutable;
using Cleanroom.Policy.Rules;
using Cleanroom.Policy.Yaml;

namespace Cleanroom.Policy.Sections;

/// <summary>
/// Compiles the top-level <c>secrets:</c> list: <c>{id, hosts, header?, format?}</c> per binding, ids unique, each
/// host written as <c>host[:port]</c> (443 when no port) and allowed by some stage of the policy's network (a secret is
/// only ever sent where the sandbox may go; the gateway checks the active stage again per request). Bindings come out
/// sorted by id, hosts sorted and distinct, header and format with their defaults applied.
/// </summary>
internal static class SecretsSection
{
    public static ImmutableArray<SecretBinding> Read(SourceNode node, string path, StageRules? network, PolicyDiagnostics diagnostics)
    {
        if (ScalarValues.Sequence(node, path, diagnostics) is not { } items)
            return [];
        var bindings = new List<SecretBinding>();
        var firstOfId = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Length; i++)
        {
            var at = PolicyPath.Item(path, i);
            if (ReadBinding(items[i], at, network, diagnostics) is not { } binding)
                continue;
            if (firstOfId.TryGetValue(binding.Id, out var first))
            {
                diagnostics.Invalid(at, items[i], $"secret \"{binding.Id}\" is already bound at {first}; list all its hosts in that binding");
                continue;
            }

            firstOfId[binding.Id] = at;
            bindings.Add(binding);
        }

        return [.. bindings.OrderBy(b => b.Id, StringComparer.Ordinal)];
    }

    private static SecretBinding? ReadBinding(SourceNode node, string path, StageRules? network, PolicyDiagnostics diagnostics)
    {
        if (StrictMapping.Read(node, path, diagnostics, "id", "hosts", "header", "format") is not { } binding)
            return null;
        var errors = diagnostics.ErrorCount;
        var id = Text(binding, "id", diagnostics, SecretRules.Id, required: "the secret's id in the server's runtime config (secrets:)");
        var header = Text(binding, "header", diagnostics, SecretRules.Header) ?? SecretBinding.DefaultHeader;
        var format = Text(binding, "format", diagnostics, SecretRules.Format) ?? SecretBinding.DefaultFormat;

        var hosts = new SortedSet<string>(StringComparer.Ordinal);
        if (binding.Required("hosts", diagnostics, "the host:port destinations the secret may be sent to") is { } hostsNode
            && ScalarValues.Sequence(hostsNode, binding.PathOf("hosts"), diagnostics) is { } items)
        {
            if (items.Length == 0)
                diagnostics.Invalid(binding.PathOf("hosts"), hostsNode, "hosts must list at least one host:port");
            for (var i = 0; i < items.Length; i++)
            {
                var at = PolicyPath.Item(binding.PathOf("hosts"), i);
                if (ScalarValues.String(items[i], at, diagnostics) is not { } text)
                    continue;
                if (SecretRules.Destination(text, out var error) is not { } destination)
                {
                    diagnostics.Invalid(at, items[i], error);
                    continue;
                }

                if (network is not null && !SecretRules.AllowedSomewhere(network, destination))
                {
                    diagnostics.Conflict(at, items[i].Position,
                        $"{destination} is not allowed by the policy's network in any stage; a secret is only sent where the sandbox may go: add it to sandbox.network.allow");
                }

                hosts.Add(destination);
            }
        }

        return diagnostics.ErrorCount == errors && id is not null ? new SecretBinding(id, [.. hosts], header, format) : null;
    }

    private delegate string? Rule(string raw, out string error);

    private static string? Text(StrictMapping binding, string key, PolicyDiagnostics diagnostics, Rule rule, string? required = null)
    {
        var node = required is null ? binding[key] : binding.Required(key, diagnostics, required);
        if (node is null || ScalarValues.String(node, binding.PathOf(key), diagnostics) is not { } text)
            return null;
        var value = rule(text, out var error);
        if (value is null)
            diagnostics.Invalid(binding.PathOf(key), node, error);
        return value;
    }
}
