using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Cleanroom.Policy;

namespace Cleanroom.Network.Tests;

/// <summary>
/// Everything the egress tests aim at, made fresh per test class and removed afterwards even when tests
/// fail: three upstream hosts in their own namespaces (api.test and other.test answered from
/// network.dns.hosts, fwd.test from a test resolver on the third), a listener on the host itself, and a
/// <see cref="SandboxNetworks"/> with this run's own table, prefix, pool and NFLOG group.
/// </summary>
public class EgressWorld : IAsyncLifetime
{
    public const int EchoPort = 8080;
    public const int OtherPort = 8081;
    public const int UdpPort = 7000;
    public const int SinkPort = 9000;

    private readonly List<UpstreamHost> _upstreams = [];
    private readonly List<IDisposable> _hostListeners = [];

    internal TestRun Run { get; } = TestRun.New();

    public RecordingEventSink Events { get; } = new();

    public SandboxNetworks Networks { get; private set; } = null!;

    internal UpstreamHost Api => _upstreams[0];

    internal UpstreamHost Other => _upstreams[1];

    internal UpstreamHost Resolver => _upstreams[2];

    internal TestDnsServer UpstreamDns { get; private set; } = null!;

    internal TcpEchoListener HostService { get; private set; } = null!;

    internal TcpEchoListener ApiEcho { get; private set; } = null!;

    internal TcpEchoListener ApiOtherPort { get; private set; } = null!;

    internal TcpEchoListener OtherEcho { get; private set; } = null!;

    internal UdpEchoListener OtherUdp { get; private set; } = null!;

    internal UdpEchoListener ApiUdp { get; private set; } = null!;

    /// <summary>Smallest allow-set lifetime; a world for the expiry test lowers it.</summary>
    protected virtual TimeSpan MinimumAllowTimeout => TimeSpan.FromSeconds(30);

    protected virtual TimeSpan StaticHostTtl => TimeSpan.FromSeconds(60);

    public async Task InitializeAsync()
    {
        if (HostRequirements.Missing() is not null)
            return;
        for (var i = 0; i < 3; i++)
            _upstreams.Add(await UpstreamHost.CreateAsync(Run, i));
        ApiEcho = Api.ListenTcp(EchoPort);
        ApiOtherPort = Api.ListenTcp(OtherPort);
        ApiUdp = Api.ListenUdp(UdpPort);
        Api.ListenTcp(SinkPort, discard: true);
        OtherEcho = Other.ListenTcp(EchoPort);
        OtherUdp = Other.ListenUdp(UdpPort);
        UpstreamDns = Resolver.ServeDns(new Dictionary<string, (IPAddress, int)>
        {
            ["fwd.test"] = (Api.Address, 300),
            ["short.test"] = (Other.Address, 1),
        });

        var hostSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        HostService = new TcpEchoListener(hostSocket, new IPEndPoint(IPAddress.Any, 0));
        _hostListeners.Add(HostService);

        var hosts = ImmutableDictionary<string, string>.Empty
            .Add("api.test", Api.Address.ToString())
            .Add("other.test", Other.Address.ToString());
        Networks = new SandboxNetworks(Run.Options(hosts, $"{Resolver.Address}:53", MinimumAllowTimeout, StaticHostTtl), Events);
        await Networks.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (Networks is not null)
        {
            try
            {
                await Networks.ReconcileAsync(new HashSet<string>(), CancellationToken.None);
            }
            finally
            {
                await Networks.DisposeAsync();
                await Networks.DeleteTableAsync(CancellationToken.None);
            }
        }
        foreach (var listener in _hostListeners)
            listener.Dispose();
        foreach (var upstream in _upstreams)
            await upstream.DisposeAsync();
    }

    /// <summary>
    /// Packets the anti-spoofing rule of <paramref name="sandbox"/>'s link has dropped (its nft counter): proof that a
    /// forged packet really left the sandbox and was stopped there, not refused earlier inside the sandbox.
    /// </summary>
    public async Task<long> ForgedSourceDropsAsync(SandboxNetwork sandbox)
    {
        var (_, chain, _) = await HostShell.RunAsync(["nft", "list", "chain", "inet", Run.Table, sandbox.Names.PreroutingChain]);
        var rule = chain.Split('\n').Single(l => l.Contains("ip saddr != ", StringComparison.Ordinal));
        var match = System.Text.RegularExpressions.Regex.Match(rule, @"counter packets (\d+) ");
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"no counter on the anti-spoofing rule: {rule.Trim()}");
    }

    public static string NewSandboxId() => "sb-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    public Task<SandboxNetwork> CreateSandboxAsync(params (string Host, int Port)[] allow) =>
        CreateSandboxAsync(false, allow);

    public Task<SandboxNetwork> CreateSandboxAsync(bool allowAll, params (string Host, int Port)[] allow) =>
        Networks.CreateAsync(NewSandboxId(), "execution", Rules(allow), allowAll, CancellationToken.None);

    public static ImmutableArray<EgressRule> Rules(params (string Host, int Port)[] allow) =>
        allow.GroupBy(a => a.Host).Select(g => new EgressRule(g.Key, g.Select(a => a.Port).Order().ToImmutableArray())).ToImmutableArray();
}
