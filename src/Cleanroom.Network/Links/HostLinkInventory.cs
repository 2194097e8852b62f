using System.Net;
using System.Text.Json;

namespace Cleanroom.Network;

/// <summary>A host link made by this component, as found on the host: its name, alias (the sandbox id) and address.</summary>
internal sealed record FoundHostLink(string Name, string? SandboxId, IPAddress? HostAddress);

/// <summary>Reads back what exists on the host (namespaces and host links with our prefix) for reconciliation.</summary>
internal sealed class HostLinkInventory(CommandRunner commands, string prefix)
{
    /// <summary>Names of network namespaces that this prefix made (<c>{prefix}-{sandbox id}</c>).</summary>
    public async Task<IReadOnlyList<string>> NamespacesAsync(CancellationToken cancellationToken)
    {
        var result = (await commands.RunAsync(["ip", "-j", "netns", "list"], null, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        var names = new List<string>();
        foreach (var entry in ParseArray(result.Stdout))
            if (entry.TryGetProperty("name", out var name) && name.GetString() is { } text && text.StartsWith(prefix + "-", StringComparison.Ordinal))
                names.Add(text);
        return names;
    }

    public async Task<IReadOnlyList<FoundHostLink>> HostLinksAsync(CancellationToken cancellationToken)
    {
        var links = (await commands.RunAsync(["ip", "-j", "link", "show"], null, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        var addresses = (await commands.RunAsync(["ip", "-j", "-4", "addr", "show"], null, cancellationToken).ConfigureAwait(false)).EnsureSuccess();

        var addressByLink = new Dictionary<string, IPAddress>(StringComparer.Ordinal);
        foreach (var entry in ParseArray(addresses.Stdout))
        {
            if (entry.TryGetProperty("ifname", out var ifname) && entry.TryGetProperty("addr_info", out var infos))
                foreach (var info in infos.EnumerateArray())
                    if (info.TryGetProperty("local", out var local) && IPAddress.TryParse(local.GetString(), out var ip))
                        addressByLink[ifname.GetString()!] = ip;
        }

        var found = new List<FoundHostLink>();
        foreach (var entry in ParseArray(links.Stdout))
        {
            var name = entry.GetProperty("ifname").GetString()!;
            if (!SandboxNames.IsHostLink(name, prefix))
                continue;
            var alias = entry.TryGetProperty("ifalias", out var a) ? a.GetString() : null;
            found.Add(new FoundHostLink(name, alias, addressByLink.GetValueOrDefault(name)));
        }
        return found;
    }

    private static IEnumerable<JsonElement> ParseArray(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
            return [];
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
