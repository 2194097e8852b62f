using System.Collections.Immutable;
using System.Security.Cryptography;

namespace Cleanroom.Network.Tests;

/// <summary>
/// Names and address ranges unique to one test fixture, so runs never collide with a real server (table
/// <c>cleanroom</c>, prefix <c>cr</c>, pool 10.213.0.0/16) or with each other: table
/// <c>cleanroom_t&lt;random&gt;</c>, prefix <c>crt&lt;4 random&gt;</c>, a random /24 of 100.64.0.0/10 as the
/// sandbox pool, a random /24 of 198.18.0.0/15 for upstream hosts, a random NFLOG group.
/// </summary>
internal sealed record TestRun(string Suffix, string Prefix, string Table, string Pool, int UpstreamThirdOctet, int NflogGroup)
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static TestRun New()
    {
        var suffix = string.Concat(Enumerable.Range(0, 4).Select(_ => Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)]));
        return new TestRun(suffix, $"crt{suffix}", $"cleanroom_t{suffix}",
            $"100.{RandomNumberGenerator.GetInt32(64, 128)}.{RandomNumberGenerator.GetInt32(256)}.0/24",
            RandomNumberGenerator.GetInt32(256), RandomNumberGenerator.GetInt32(20000, 60000));
    }

    /// <summary>Upstream host <paramref name="index"/>'s address: 198.18.X.(4·index+2), its host end .(4·index+1).</summary>
    public string UpstreamAddress(int index) => $"198.18.{UpstreamThirdOctet}.{4 * index + 2}";

    public string UpstreamHostEnd(int index) => $"198.18.{UpstreamThirdOctet}.{4 * index + 1}";

    public NetworkOptions Options(ImmutableDictionary<string, string> dnsHosts, string? upstream, TimeSpan? minimumAllowTimeout = null, TimeSpan? staticTtl = null) => new()
    {
        Pool = Pool,
        TableName = Table,
        NamePrefix = Prefix,
        NflogGroup = NflogGroup,
        DnsHosts = dnsHosts,
        // Never the host's real resolver: an unset upstream would fall back to /etc/resolv.conf.
        DnsUpstream = upstream ?? "127.0.0.1:9",
        MinimumAllowTimeout = minimumAllowTimeout ?? TimeSpan.FromSeconds(30),
        StaticHostTtl = staticTtl ?? TimeSpan.FromSeconds(60),
        UpstreamTimeout = TimeSpan.FromSeconds(2),
    };

    /// <summary>Everything on the host whose name carries this run's prefix or table: must be empty after cleanup.</summary>
    public async Task<IReadOnlyList<string>> LeftoversAsync()
    {
        var left = new List<string>();
        var netns = await HostShell.RunAsync(["ip", "netns", "list"]);
        left.AddRange(netns.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith(Prefix, StringComparison.Ordinal)).Select(l => "netns " + l));
        var links = await HostShell.RunAsync(["ip", "-o", "link", "show"]);
        left.AddRange(links.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains($": {Prefix}", StringComparison.Ordinal)).Select(l => "link " + l));
        var tables = await HostShell.RunAsync(["nft", "list", "tables"]);
        left.AddRange(tables.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains(Table, StringComparison.Ordinal)));
        return left;
    }
}
