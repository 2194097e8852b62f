using System.Collections.Immutable;
using System.Security.Cryptography;
using Cleanroom.Network;
using Cleanroom.Network.Tests;
using Cleanroom.Policy;

namespace Cleanroom.Backends.Qemu.Tests.Support;

/// <summary>
/// What the qemu egress tests aim at, made per test class and removed afterwards even when tests fail: two
/// upstream hosts in their own namespaces on 198.18.0.0/15 (api.test and other.test, answered from
/// network.dns.hosts; no upstream resolver), and a <see cref="SandboxNetworks"/> with this run's own table,
/// prefix, pool and NFLOG group (the network tests' <see cref="TestRun"/>). A smaller EgressWorld: that one
/// needs Cleanroom.Network internals only its own test project sees. Nothing is sent anywhere else.
/// </summary>
public sealed class QemuEgressWorld : IAsyncLifetime
{
    public const int EchoPort = 8080;
    public const int OtherPort = 8081;

    private readonly List<UpstreamHost> _upstreams = [];

    internal TestRun Run { get; } = TestRun.New();

    public RecordingEventSink Events { get; } = new();

    public SandboxNetworks Networks { get; private set; } = null!;

    internal UpstreamHost Api => _upstreams[0];

    internal UpstreamHost Other => _upstreams[1];

    internal TcpEchoListener ApiEcho { get; private set; } = null!;

    internal TcpEchoListener ApiOtherPort { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (HostRequirements.Missing() is not null || new QemuRequirements().Missing() is not null)
            return;
        for (var i = 0; i < 2; i++)
            _upstreams.Add(await UpstreamHost.CreateAsync(Run, i));
        ApiEcho = Api.ListenTcp(EchoPort);
        ApiOtherPort = Api.ListenTcp(OtherPort);
        Other.ListenTcp(EchoPort);
        var hosts = ImmutableDictionary<string, string>.Empty
            .Add("api.test", Api.Address.ToString())
            .Add("other.test", Other.Address.ToString());
        // No upstream: TestRun points it at 127.0.0.1:9, never the host's real resolver.
        Networks = new SandboxNetworks(Run.Options(hosts, upstream: null), Events);
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
                await HostShell.RunAsync(["nft", "delete", "table", "inet", Run.Table], check: false);
            }
        }
        foreach (var upstream in _upstreams)
            await upstream.DisposeAsync();
    }

    public Task<SandboxNetwork> CreateSandboxAsync(params (string Host, int Port)[] allow) =>
        Networks.CreateAsync("q" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)), "execution",
            allow.GroupBy(a => a.Host).Select(g => new EgressRule(g.Key, g.Select(a => a.Port).Order().ToImmutableArray())).ToImmutableArray(),
            false, CancellationToken.None);
}
