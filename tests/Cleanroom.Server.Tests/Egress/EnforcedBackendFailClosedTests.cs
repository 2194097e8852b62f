using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Cleanroom.Backends;
using Cleanroom.Errors;
using Cleanroom.Network;
using Cleanroom.Policy;
using Cleanroom.Server.Egress;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Server.Tests.Egress;

/// <summary>
/// The enforced backend starts the sandbox while its firewall goes in, and must stay fail closed: a sandbox is
/// handed back (and so can run anything) only with its chains in place and its link up; if the firewall fails the
/// sandbox does not start, and nothing it made is left: no namespace, no link, no chains. Real namespaces, links
/// and nftables with this test's own table, name prefix, pool and NFLOG group; an inner backend that records.
/// </summary>
public sealed class EnforcedBackendFailClosedTests : IAsyncLifetime
{
    private readonly string _suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
    private SandboxNetworks? _networks;
    private EgressEventRecorder? _recorder;

    private string Table => $"cleanroom_f{_suffix}";

    private string Prefix => $"crf{_suffix}";

    public async Task InitializeAsync()
    {
        if (new HostNetworkFactAttribute().Skip is not null)
            return;
        _networks = new SandboxNetworks(new NetworkOptions
        {
            Pool = $"100.{RandomNumberGenerator.GetInt32(64, 128)}.{RandomNumberGenerator.GetInt32(256)}.0/24",
            TableName = Table,
            NamePrefix = Prefix,
            NflogGroup = RandomNumberGenerator.GetInt32(20000, 60000),
            DnsUpstream = "127.0.0.1:9", // never the host's real resolver
        }, NullEgressEvents.Instance);
        await _networks.StartAsync(CancellationToken.None);
        _recorder = new EgressEventRecorder(() => null, Path.Combine(Path.GetTempPath(), $"cr-egress-{_suffix}.jsonl"), NullLogger.Instance);
    }

    public async Task DisposeAsync()
    {
        if (_networks is null)
            return;
        await _networks.ReconcileAsync(new HashSet<string>(), CancellationToken.None);
        await _networks.DisposeAsync();
        await HostTool.RunAsync("nft", "delete", "table", "inet", Table);
        _recorder?.Dispose();
        File.Delete(Path.Combine(Path.GetTempPath(), $"cr-egress-{_suffix}.jsonl"));
        Assert.Empty(NetnsWithPrefix());
        Assert.DoesNotContain($": {Prefix}", (await HostTool.RunAsync("ip", "-o", "link", "show")).Stdout);
    }

    [HostNetworkFact]
    public async Task A_firewall_that_fails_stops_the_sandbox_that_had_started_and_leaves_no_namespace_link_or_chains()
    {
        var inner = new RecordingBackend();
        var id = NewSandboxId();
        await BreakFirewallOfAsync(id);

        var error = await Assert.ThrowsAsync<CleanroomException>(() => Enforced(inner).ProvisionAsync(Spec(id), CancellationToken.None));

        Assert.Equal(ErrorCode.NetworkSetupFailed, error.Code);
        Assert.True(inner.NamespaceExistedAtStart);
        Assert.NotNull(inner.Started);
        Assert.True(inner.Started.Terminated);
        Assert.Equal(0, inner.Started.ExecutionsStarted);
        await AssertNothingLeftOfAsync(id);
    }

    [HostNetworkFact]
    public async Task A_firewall_that_fails_cancels_a_sandbox_start_still_under_way_and_reports_the_firewall()
    {
        var inner = new RecordingBackend { HoldUntilCancelled = true };
        var id = NewSandboxId();
        await BreakFirewallOfAsync(id);

        var error = await Assert.ThrowsAsync<CleanroomException>(() => Enforced(inner).ProvisionAsync(Spec(id), CancellationToken.None));

        Assert.Equal(ErrorCode.NetworkSetupFailed, error.Code);
        Assert.True(inner.StartWasCancelled);
        Assert.Null(inner.Started);
        await AssertNothingLeftOfAsync(id);
    }

    [HostNetworkFact]
    public async Task A_sandbox_that_fails_to_start_leaves_no_network()
    {
        var inner = new RecordingBackend { OnProvision = _ => throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, "runsc said no") };
        var id = NewSandboxId();

        var error = await Assert.ThrowsAsync<CleanroomException>(() => Enforced(inner).ProvisionAsync(Spec(id), CancellationToken.None));

        Assert.Equal(ErrorCode.RuntimeLaunchFailed, error.Code);
        await AssertNothingLeftOfAsync(id);
    }

    [HostNetworkFact]
    public async Task A_sandbox_is_handed_back_only_with_its_chains_in_place_and_its_link_up()
    {
        var inner = new RecordingBackend();
        var id = NewSandboxId();

        var sandbox = await Enforced(inner).ProvisionAsync(Spec(id), CancellationToken.None);

        Assert.True(inner.NamespaceExistedAtStart);
        Assert.Contains($"chain sb_{Key(id)}_forward", (await HostTool.RunAsync("nft", "list", "table", "inet", Table)).Stdout);
        Assert.Contains("state UP", (await HostTool.RunAsync("ip", "link", "show", Prefix + Key(id))).Stdout);
        await sandbox.TerminateAsync(CancellationToken.None);
        Assert.True(inner.Started!.Terminated);
        await AssertNothingLeftOfAsync(id);
    }

    [HostNetworkFact]
    public async Task A_policy_binding_secrets_with_no_gateway_to_provide_them_is_refused_before_anything_starts()
    {
        var inner = new RecordingBackend();
        var id = NewSandboxId();

        var error = await Assert.ThrowsAsync<CleanroomException>(() =>
            Enforced(inner).ProvisionAsync(Spec(id, "secrets:\n  - id: api_token\n    hosts: [api.test:443]\n"), CancellationToken.None));

        Assert.Equal(ErrorCode.SecretUnavailable, error.Code);
        Assert.Contains("api_token", error.Message);
        Assert.Null(inner.Started);
        await AssertNothingLeftOfAsync(id);
    }

    private EnforcedBackend Enforced(ISandboxBackend inner) => new(inner, _networks!, _recorder!, NullLogger.Instance);

    /// <summary>The sandbox's allow set made in advance with another type: nft rejects the sandbox's whole transaction.</summary>
    private Task BreakFirewallOfAsync(string id) =>
        HostTool.RunAsync("nft", "add", "set", "inet", Table, $"sb_{Key(id)}_allow", "{ type ipv4_addr; }");

    private async Task AssertNothingLeftOfAsync(string id)
    {
        Assert.False(File.Exists($"/var/run/netns/{Prefix}-{id}"));
        Assert.NotEqual(0, (await HostTool.RunAsync("ip", "link", "show", Prefix + Key(id))).ExitCode);
        var (listed, table) = await HostTool.RunAsync("nft", "list", "table", "inet", Table);
        Assert.Equal(0, listed);
        Assert.DoesNotContain($"chain sb_{Key(id)}_", table);
        Assert.DoesNotContain(Prefix + Key(id), table);
        Assert.Null(_networks!.Find(id));
    }

    private IEnumerable<string> NetnsWithPrefix() =>
        Directory.Exists("/var/run/netns") ? Directory.EnumerateFiles("/var/run/netns", Prefix + "-*") : [];

    private static string NewSandboxId() => "sb-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>Host names derive from the first 4 bytes of SHA-256(sandbox id) (Cleanroom.Network's README).</summary>
    private static string Key(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)).AsSpan(0, 4));

    private static SandboxSpec Spec(string id, string secrets = "")
    {
        var policy = PolicyCompiler.Compile(
            "version: 1\nsandbox:\n  image:\n    ref: alpine@sha256:" + new string('a', 64) + "\n  network:\n    default: deny\n    allow:\n      - api.test:443\n" + secrets,
            "test.yaml").Policy!;
        return new SandboxSpec
        {
            SandboxId = id,
            ImageRef = "alpine@sha256:" + new string('a', 64),
            Policy = new SandboxPolicy(policy.CanonicalJson, policy.PolicyHash, HasEgressAllowRules: true, DockerRequired: false),
            Network = new NetworkRequirements(HasEgressAllowRules: true, AllowAll: false),
        };
    }

    private sealed class NullEgressEvents : IEgressEventSink
    {
        public static readonly NullEgressEvents Instance = new();

        public void BlockedConnection(BlockedConnection blocked)
        {
        }

        public void HostNotAllowed(HostNotAllowed refused)
        {
        }

        public void AllowedResolution(AllowedResolution allowed)
        {
        }
    }
}
