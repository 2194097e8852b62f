using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Cleanroom.Network;

/// <summary>
/// Writes the nft scripts this component applies, each one transaction (<c>nft -f -</c> applies a file
/// atomically: all of it or none). Pure text generation; <see cref="Firewall"/> runs them. The model,
/// which a reviewer should check against README.md:
/// <list type="bullet">
/// <item>base chains dispatch on the input interface through verdict maps, so one sandbox's rules are
/// never evaluated for another's packets and adding or removing a sandbox touches no shared rule;</item>
/// <item>prerouting (priority raw, before conntrack): a sandbox link accepts only IPv4 from the
/// sandbox's own address;</item>
/// <item>input: only DNS (and the host gateway's port, when there is a gateway) to the host end of the sandbox's
/// own link; forward: established flows of the current stage, then
/// never the pool (other sandboxes), then the allow set (or everything when allow-all);</item>
/// <item>anything else goes to the deny chain, which logs the first packet of each flow to NFLOG and
/// drops it; traffic toward a sandbox link is only ever a reply.</item>
/// </list>
/// </summary>
internal sealed class FirewallScript(string table, Ipv4Subnet pool, int nflogGroup, TimeSpan blockedFlowMemory, int? gatewayPort = null)
{
    public const string SandboxLinksSet = "sandbox_links";
    public const string PreroutingDispatch = "prerouting_dispatch";
    public const string InputDispatch = "input_dispatch";
    public const string ForwardDispatch = "forward_dispatch";
    public static readonly string[] DispatchMaps = [PreroutingDispatch, InputDispatch, ForwardDispatch];

    private string T => $"inet {table}";

    /// <summary>
    /// Creates the table and its base chains, or resets the base chains' rules when the table exists
    /// (the add commands are no-ops then). Per-sandbox chains, sets and map elements are kept, so this
    /// is safe while sandboxes run.
    /// </summary>
    public string EnsureTable()
    {
        var s = new StringBuilder();
        s.AppendLine($"add table {T}");
        s.AppendLine($"add set {T} {SandboxLinksSet} {{ type ifname; }}");
        foreach (var map in DispatchMaps)
            s.AppendLine($"add map {T} {map} {{ type ifname : verdict; }}");
        s.AppendLine($"add chain {T} prerouting {{ type filter hook prerouting priority raw; policy accept; }}");
        s.AppendLine($"add chain {T} input {{ type filter hook input priority filter; policy accept; }}");
        s.AppendLine($"add chain {T} forward {{ type filter hook forward priority filter; policy accept; }}");
        s.AppendLine($"add chain {T} postrouting {{ type nat hook postrouting priority srcnat; policy accept; }}");
        foreach (var chain in new[] { "prerouting", "input", "forward", "postrouting" })
            s.AppendLine($"flush chain {T} {chain}");
        s.AppendLine($"add rule {T} prerouting iifname vmap @{PreroutingDispatch}");
        s.AppendLine($"add rule {T} input iifname vmap @{InputDispatch}");
        s.AppendLine($"add rule {T} forward iifname vmap @{ForwardDispatch}");
        // Toward a sandbox only replies pass: nobody (host network, another sandbox) opens a flow into one.
        s.AppendLine($"add rule {T} forward oifname @{SandboxLinksSet} ct state established,related accept");
        s.AppendLine($"add rule {T} forward oifname @{SandboxLinksSet} counter drop");
        // Postrouting has no input interface, so masquerade by the pool's source addresses.
        s.AppendLine($"add rule {T} postrouting ip saddr {pool} oifname != @{SandboxLinksSet} masquerade");
        return s.ToString();
    }

    /// <summary>
    /// Installs (or, for a re-adopted sandbox, replaces) the sandbox's chains and sets and hooks its link
    /// into the dispatch maps last, so no packet sees a half-built rule set even if nft applied commands
    /// one by one (it does not: the whole script is one transaction).
    /// </summary>
    public string AddSandbox(SandboxNames n, LinkAddresses link, bool allowAll, IEnumerable<AllowedPair> literalPairs, uint stageGeneration)
    {
        var s = new StringBuilder();
        string[] chains = [n.PreroutingChain, n.InputChain, n.ForwardChain, n.DenyChain];
        foreach (var chain in chains)
            s.AppendLine($"add chain {T} {chain}");
        var memory = Seconds(blockedFlowMemory);
        s.AppendLine($"add set {T} {n.AllowSet} {{ type ipv4_addr . inet_service; flags timeout; }}");
        s.AppendLine($"add set {T} {n.SeenFlowSet} {{ type ipv4_addr . inet_proto . inet_service . inet_service; flags dynamic,timeout; timeout {memory}; size 65535; }}");
        s.AppendLine($"add set {T} {n.SeenOtherSet} {{ type ipv4_addr . inet_proto; flags dynamic,timeout; timeout {memory}; size 4096; }}");
        foreach (var chain in chains)
            s.AppendLine($"flush chain {T} {chain}");
        s.AppendLine($"flush set {T} {n.AllowSet}");

        s.AppendLine($"add rule {T} {n.PreroutingChain} meta nfproto != ipv4 counter drop");
        s.AppendLine($"add rule {T} {n.PreroutingChain} ip saddr != {link.SandboxAddress} counter drop");

        s.AppendLine($"add rule {T} {n.InputChain} ct state established,related accept");
        s.AppendLine($"add rule {T} {n.InputChain} ip daddr {link.HostAddress} udp dport 53 accept");
        s.AppendLine($"add rule {T} {n.InputChain} ip daddr {link.HostAddress} tcp dport 53 accept");
        // The host gateway listens on this link's host address only; the same port on any other host address
        // (another sandbox's link, the host's own interfaces) stays denied by the rule below.
        if (gatewayPort is { } port)
            s.AppendLine($"add rule {T} {n.InputChain} ip daddr {link.HostAddress} tcp dport {port.ToString(CultureInfo.InvariantCulture)} accept");
        s.AppendLine($"add rule {T} {n.InputChain} goto {n.DenyChain}");

        AppendForwardRules(s, n, allowAll, stageGeneration);

        // Test-then-remember: a flow already in the seen set is dropped quietly (and its memory refreshed,
        // so SYN retries with growing gaps stay quiet); a new one is remembered, logged once, dropped.
        const string flow = "ip daddr . meta l4proto . th sport . th dport";
        s.AppendLine($"add rule {T} {n.DenyChain} meta l4proto {{ tcp, udp }} {flow} @{n.SeenFlowSet} update @{n.SeenFlowSet} {{ {flow} }} drop");
        s.AppendLine($"add rule {T} {n.DenyChain} meta l4proto {{ tcp, udp }} add @{n.SeenFlowSet} {{ {flow} }} log prefix \"{n.LogPrefix}\" group {nflogGroup} drop");
        const string other = "ip daddr . meta l4proto";
        s.AppendLine($"add rule {T} {n.DenyChain} meta l4proto != {{ tcp, udp }} {other} @{n.SeenOtherSet} update @{n.SeenOtherSet} {{ {other} }} drop");
        s.AppendLine($"add rule {T} {n.DenyChain} meta l4proto != {{ tcp, udp }} add @{n.SeenOtherSet} {{ {other} }} log prefix \"{n.LogPrefix}\" group {nflogGroup} drop");
        // Reached only when a seen set is full: still dropped, just not reported.
        s.AppendLine($"add rule {T} {n.DenyChain} counter drop");

        AppendElements(s, n.AllowSet, literalPairs, timeout: null);
        s.AppendLine($"add element {T} {SandboxLinksSet} {{ \"{n.HostLink}\" }}");
        s.AppendLine($"add element {T} {PreroutingDispatch} {{ \"{n.HostLink}\" : goto {n.PreroutingChain} }}");
        s.AppendLine($"add element {T} {InputDispatch} {{ \"{n.HostLink}\" : goto {n.InputChain} }}");
        s.AppendLine($"add element {T} {ForwardDispatch} {{ \"{n.HostLink}\" : goto {n.ForwardChain} }}");
        return s.ToString();
    }

    /// <summary>
    /// Moves the sandbox to its next stage in one transaction: the whole allow set replaced by the new stage's literal
    /// pairs (every DNS-learned pair of the old stage goes) and the forward chain rewritten for the new generation, so
    /// a flow opened under an earlier stage is checked against the new allow set at its next packet.
    /// </summary>
    public string ReplaceStage(SandboxNames n, bool allowAll, IEnumerable<AllowedPair> literalPairs, uint stageGeneration)
    {
        var s = new StringBuilder();
        s.AppendLine($"flush chain {T} {n.ForwardChain}");
        AppendForwardRules(s, n, allowAll, stageGeneration);
        s.AppendLine($"flush set {T} {n.AllowSet}");
        AppendElements(s, n.AllowSet, literalPairs, timeout: null);
        return s.ToString();
    }

    /// <summary>
    /// The sandbox's forward chain. A flow is let through as established only while its conntrack mark is the
    /// current stage generation; the mark is set when the allow set (or allow-all) admits a packet. After a stage
    /// switch the generation changes, so an established flow of an earlier stage is admitted only if the new stage
    /// allows its destination too (and is then re-marked); otherwise its next packet is denied and reported. Marks
    /// are per flow and flows are per sandbox, so generations of different sandboxes never meet.
    /// </summary>
    private void AppendForwardRules(StringBuilder s, SandboxNames n, bool allowAll, uint stageGeneration)
    {
        var mark = stageGeneration.ToString(CultureInfo.InvariantCulture);
        s.AppendLine($"add rule {T} {n.ForwardChain} ct state established,related ct mark {mark} accept");
        // Before the allow set: an answer or literal naming a pool address never opens another sandbox.
        s.AppendLine($"add rule {T} {n.ForwardChain} ip daddr {pool} goto {n.DenyChain}");
        s.AppendLine(allowAll
            ? $"add rule {T} {n.ForwardChain} ct mark set {mark} counter accept"
            : $"add rule {T} {n.ForwardChain} meta l4proto {{ tcp, udp }} ip daddr . th dport @{n.AllowSet} ct mark set {mark} accept");
        s.AppendLine($"add rule {T} {n.ForwardChain} goto {n.DenyChain}");
    }

    /// <summary>
    /// Adds answered pairs with a fresh timeout. nft does not refresh the timeout of an element that
    /// exists, so the script adds (making sure it exists), deletes, and adds again, in one transaction.
    /// </summary>
    public string AddAnsweredPairs(SandboxNames n, IReadOnlyCollection<AllowedPair> pairs, TimeSpan timeout)
    {
        var s = new StringBuilder();
        AppendElements(s, n.AllowSet, pairs, timeout);
        s.AppendLine($"delete element {T} {n.AllowSet} {{ {string.Join(", ", pairs)} }}");
        AppendElements(s, n.AllowSet, pairs, timeout);
        return s.ToString();
    }

    /// <summary>Removes the objects of one sandbox key that <paramref name="state"/> says exist.</summary>
    public string RemoveSandbox(string key, FirewallState state)
    {
        var s = new StringBuilder();
        var prefix = $"sb_{key}_";
        foreach (var (map, links) in state.DispatchElements)
            foreach (var link in links.Where(l => state.KeyOfLink(l) == key))
                s.AppendLine($"delete element {T} {map} {{ \"{link}\" }}");
        foreach (var link in state.SandboxLinks.Where(l => state.KeyOfLink(l) == key))
            s.AppendLine($"delete element {T} {SandboxLinksSet} {{ \"{link}\" }}");
        var chains = state.Chains.Where(c => c.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        foreach (var chain in chains)
            s.AppendLine($"flush chain {T} {chain}");
        foreach (var chain in chains)
            s.AppendLine($"delete chain {T} {chain}");
        foreach (var set in state.Sets.Where(c => c.StartsWith(prefix, StringComparison.Ordinal)))
            s.AppendLine($"delete set {T} {set}");
        return s.ToString();
    }

    /// <summary>
    /// Removes exactly what <see cref="AddSandbox"/> made for <paramref name="n"/>, without reading the table
    /// first (one nft process less per teardown). Fails as a whole if any of it is missing: the caller then
    /// reads the table and uses <see cref="RemoveSandbox"/>.
    /// </summary>
    public string RemoveInstalledSandbox(SandboxNames n)
    {
        var links = ImmutableArray.Create(n.HostLink);
        var state = new FirewallState(true,
            [n.PreroutingChain, n.InputChain, n.ForwardChain, n.DenyChain],
            [n.AllowSet, n.SeenFlowSet, n.SeenOtherSet],
            links,
            DispatchMaps.ToImmutableDictionary(m => m, _ => links, StringComparer.Ordinal),
            n.Prefix);
        return RemoveSandbox(n.Key, state);
    }

    public string DeleteTable() => $"delete table {T}\n";

    private void AppendElements(StringBuilder s, string set, IEnumerable<AllowedPair> pairs, TimeSpan? timeout)
    {
        var elements = pairs.Select(p => timeout is { } t ? $"{p} timeout {Seconds(t)}" : p.ToString()).ToList();
        if (elements.Count > 0)
            s.AppendLine($"add element {T} {set} {{ {string.Join(", ", elements)} }}");
    }

    private static string Seconds(TimeSpan span) =>
        ((long)Math.Ceiling(span.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";
}
