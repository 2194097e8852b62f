using System.Collections.Immutable;
using System.Text.Json;

namespace Cleanroom.Network;

/// <summary>
/// The parts of the table that reconciliation and teardown need, read from <c>nft -j list table</c>:
/// which chains and sets exist and which links the dispatch maps and the link set hold.
/// </summary>
internal sealed record FirewallState(
    bool TableExists,
    ImmutableArray<string> Chains,
    ImmutableArray<string> Sets,
    ImmutableArray<string> SandboxLinks,
    ImmutableDictionary<string, ImmutableArray<string>> DispatchElements,
    string LinkPrefix)
{
    public static FirewallState Missing(string linkPrefix) =>
        new(false, [], [], [], ImmutableDictionary<string, ImmutableArray<string>>.Empty, linkPrefix);

    /// <summary>The sandbox key of a host link name, or null for a name this component did not make.</summary>
    public string? KeyOfLink(string link) =>
        SandboxNames.IsHostLink(link, LinkPrefix) ? link[LinkPrefix.Length..] : null;

    /// <summary>Every sandbox key that has any object in the table.</summary>
    public IEnumerable<string> Keys() =>
        Chains.Concat(Sets).Select(SandboxNames.KeyOfObject)
            .Concat(SandboxLinks.Concat(DispatchElements.Values.SelectMany(v => v)).Select(KeyOfLink))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal);

    public static FirewallState Parse(string json, string linkPrefix)
    {
        using var document = JsonDocument.Parse(json);
        var chains = ImmutableArray.CreateBuilder<string>();
        var sets = ImmutableArray.CreateBuilder<string>();
        var links = ImmutableArray<string>.Empty;
        var dispatch = ImmutableDictionary.CreateBuilder<string, ImmutableArray<string>>(StringComparer.Ordinal);
        foreach (var item in document.RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (item.TryGetProperty("chain", out var chain))
                chains.Add(chain.GetProperty("name").GetString()!);
            else if (item.TryGetProperty("set", out var set))
            {
                var name = set.GetProperty("name").GetString()!;
                if (name == FirewallScript.SandboxLinksSet)
                    links = Elements(set).Select(e => e.GetString()!).ToImmutableArray();
                else
                    sets.Add(name);
            }
            else if (item.TryGetProperty("map", out var map))
            {
                // Map elements are [key, verdict] pairs; only the key (the host link) matters here.
                var name = map.GetProperty("name").GetString()!;
                dispatch[name] = Elements(map).Select(e => e[0].GetString()!).ToImmutableArray();
            }
        }
        return new FirewallState(true, chains.ToImmutable(), sets.ToImmutable(), links, dispatch.ToImmutable(), linkPrefix);
    }

    private static IEnumerable<JsonElement> Elements(JsonElement setOrMap) =>
        setOrMap.TryGetProperty("elem", out var elements) ? elements.EnumerateArray() : [];
}
