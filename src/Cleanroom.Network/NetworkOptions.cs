using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Cleanroom.Network;

/// <summary>
/// Host-side settings of egress enforcement (runtime config <c>network.*</c>). The defaults are what a server
/// uses; tests override the names, pool and log group so that runs never collide with a real server or
/// with each other on one machine.
/// </summary>
public sealed partial record NetworkOptions
{
    /// <summary>IPv4 pool the per-sandbox /30 links are cut from (<c>network.pool</c>).</summary>
    public string Pool { get; init; } = "10.213.0.0/16";

    /// <summary>
    /// Upstream resolver the policy resolver forwards allowed names to, <c>IP</c> or <c>IP:port</c>
    /// (<c>network.dns.upstream</c>). Null means the first <c>nameserver</c> of /etc/resolv.conf.
    /// </summary>
    public string? DnsUpstream { get; init; }

    /// <summary>Static name → IPv4 answers, never forwarded (<c>network.dns.hosts</c>): offline hosts and tests.</summary>
    public ImmutableDictionary<string, string> DnsHosts { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The nftables table (family inet) the server owns.</summary>
    public string TableName { get; init; } = "cleanroom";

    /// <summary>
    /// Prefix of every host object: namespaces <c>{prefix}-{sandbox id}</c>, host links <c>{prefix}{8 hex}</c>,
    /// log prefixes <c>{prefix}:{8 hex}</c>. Reconcile only ever removes objects with this prefix.
    /// </summary>
    public string NamePrefix { get; init; } = "cr";

    /// <summary>NFLOG group dropped packets are logged to; one reader per group per host.</summary>
    public int NflogGroup { get; init; } = 2713;

    /// <summary>Floor of an answered address's lifetime in the allow set (the 30 s); tests lower it.</summary>
    public TimeSpan MinimumAllowTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Ceiling of that lifetime (and of the TTL handed to the sandbox), so a hostile upstream cannot pin an address for days.</summary>
    public TimeSpan MaximumAllowTimeout { get; init; } = TimeSpan.FromHours(24);

    /// <summary>TTL of answers from <see cref="DnsHosts"/>.</summary>
    public TimeSpan StaticHostTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one upstream query may take before the sandbox gets SERVFAIL.</summary>
    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a dropped flow stays remembered so that the kernel's retransmissions of it are not logged
    /// again. Longer than the widest TCP SYN retry gap (64 s with the default tcp_syn_retries=6).
    /// </summary>
    public TimeSpan BlockedFlowMemory { get; init; } = TimeSpan.FromSeconds(70);

    /// <summary>
    /// The host gateway's TCP port (runtime config <c>gateway.listen_port</c>): each sandbox's input chain lets exactly
    /// this port through to the host end of its own link, beside DNS. Null: no gateway, no such rule.
    /// </summary>
    public int? GatewayPort { get; init; }

    /// <summary>Deadline of each ip/nft/sysctl invocation.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest prefix that still leaves room for 8 hex characters in a 15-byte interface name.</summary>
    public const int MaximumNamePrefixLength = 7;

    /// <summary>Every problem with these options, each as "key: message"; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Ipv4Subnet.TryParse(Pool, out var pool))
            problems.Add($"network.pool: \"{Pool}\" is not an IPv4 CIDR such as 10.213.0.0/16");
        else if (pool.PrefixLength > 29)
            problems.Add($"network.pool: /{pool.PrefixLength} is too small; it must hold at least two /30 links (use /29 or wider)");

        if (DnsUpstream is not null && !TryParseEndpoint(DnsUpstream, out _))
            problems.Add($"network.dns.upstream: \"{DnsUpstream}\" is not an IPv4 address or IPv4:port");

        foreach (var (name, address) in DnsHosts)
        {
            if (!HostNamePattern().IsMatch(name))
                problems.Add($"network.dns.hosts: \"{name}\" is not a DNS name (lowercase letters, digits, '-' and '.')");
            if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
                problems.Add($"network.dns.hosts.{name}: \"{address}\" is not an IPv4 address");
        }

        if (!IdentifierPattern().IsMatch(TableName))
            problems.Add($"network.table: \"{TableName}\" must be letters, digits and '_' starting with a letter");
        if (NamePrefix.Length is 0 or > MaximumNamePrefixLength || !PrefixPattern().IsMatch(NamePrefix))
            problems.Add($"network.name_prefix: \"{NamePrefix}\" must be 1..{MaximumNamePrefixLength} lowercase letters or digits starting with a letter");
        if (GatewayPort is < 1 or > ushort.MaxValue or 53)
            problems.Add($"gateway.listen_port: {GatewayPort} is outside 1..65535 or is DNS's port 53");
        if (NflogGroup is < 1 or > ushort.MaxValue)
            problems.Add($"network.nflog_group: {NflogGroup} is outside 1..65535");
        if (MinimumAllowTimeout < TimeSpan.FromSeconds(1) || MinimumAllowTimeout > MaximumAllowTimeout)
            problems.Add("network.dns.minimum_ttl: must be at least 1 s and at most the maximum");
        if (StaticHostTtl < TimeSpan.FromSeconds(1))
            problems.Add("network.dns.static_ttl: must be at least 1 s");
        if (UpstreamTimeout <= TimeSpan.Zero || CommandTimeout <= TimeSpan.Zero || BlockedFlowMemory < TimeSpan.FromSeconds(1))
            problems.Add("network: timeouts must be positive");
        return problems;
    }

    /// <summary>The upstream resolver, from <see cref="DnsUpstream"/> or else /etc/resolv.conf; null when neither names one.</summary>
    public IPEndPoint? ResolveUpstream(string resolvConfPath = "/etc/resolv.conf")
    {
        if (DnsUpstream is not null)
            return TryParseEndpoint(DnsUpstream, out var configured) ? configured : null;
        if (!File.Exists(resolvConfPath))
            return null;
        foreach (var line in File.ReadLines(resolvConfPath))
        {
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && fields[0] == "nameserver" && IPAddress.TryParse(fields[1], out var ip)
                && ip.AddressFamily == AddressFamily.InterNetwork)
                return new IPEndPoint(ip, 53);
        }
        return null;
    }

    internal Ipv4Subnet PoolSubnet => Ipv4Subnet.TryParse(Pool, out var pool) ? pool
        : throw new InvalidOperationException($"network.pool \"{Pool}\" is invalid; call Validate first");

    private static bool TryParseEndpoint(string text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        var host = text;
        var port = 53;
        var colon = text.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!int.TryParse(text[(colon + 1)..], out port) || port is < 1 or > 65535)
                return false;
            host = text[..colon];
        }
        if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
            return false;
        endpoint = new IPEndPoint(ip, port);
        return true;
    }

    [GeneratedRegex("^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")]
    private static partial Regex HostNamePattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[a-z][a-z0-9]*$")]
    private static partial Regex PrefixPattern();
}
