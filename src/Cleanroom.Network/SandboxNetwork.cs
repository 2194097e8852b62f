using System.Collections.Immutable;
using System.Net;
using Cleanroom.Policy;

namespace Cleanroom.Network;

/// <summary>
/// One sandbox's network: a namespace with <c>eth0</c> linked to the host, the firewall chains and allow
/// set for it, and its policy resolver. A backend starts the sandbox inside <see cref="NamespacePath"/>
/// (<c>nsenter --net=PATH</c> or the OCI spec's network namespace path) and writes
/// <see cref="ResolvConf"/> into its rootfs. Dispose tears all of it down.
/// </summary>
public sealed class SandboxNetwork : IAsyncDisposable
{
    private readonly SandboxNetworks _owner;
    private readonly SemaphoreSlim _rulesGate = new(1, 1);
    private volatile ActiveRules _rules;
    private volatile string? _executionId;
    // The conntrack mark of flows admitted under the active stage (see FirewallScript.ReplaceStage); changed only under _rulesGate.
    private uint _stageGeneration = 1;
    private int _disposed;

    internal SandboxNetwork(SandboxNetworks owner, SandboxNames names, LinkAddresses link, ActiveRules rules)
    {
        _owner = owner;
        Names = names;
        Link = link;
        _rules = rules;
    }

    public string SandboxId => Names.SandboxId;

    /// <summary>Name of the network namespace (<c>ip netns</c> name).</summary>
    public string NamespaceName => Names.Namespace;

    /// <summary>The namespace's bind mount, e.g. <c>/var/run/netns/cr-sb-abc</c>: what nsenter and OCI specs take.</summary>
    public string NamespacePath => Names.NamespacePath;

    /// <summary>The interface inside the namespace, already up with <see cref="SandboxAddress"/> and the default route.</summary>
    public string SandboxInterface => SandboxNames.SandboxLink;

    /// <summary>The host end of the link (name at most 15 bytes; its ifalias is the sandbox id).</summary>
    public string HostInterface => Names.HostLink;

    /// <summary>The host end: the sandbox's default gateway and its DNS resolver.</summary>
    public IPAddress HostAddress => Link.HostAddress;

    /// <summary>The only source address the sandbox may send from.</summary>
    public IPAddress SandboxAddress => Link.SandboxAddress;

    public int PrefixLength => LinkAddresses.PrefixLength;

    /// <summary>The policy resolver, <see cref="HostAddress"/> port 53 (UDP and TCP).</summary>
    public IPEndPoint ResolverEndpoint => new(Link.HostAddress, 53);

    /// <summary>The resolv.conf the sandbox must use; no other resolver is reachable.</summary>
    public string ResolvConf => $"nameserver {Link.HostAddress}\noptions attempts:2 timeout:2\n";

    /// <summary>The stage whose rules are active.</summary>
    public string Stage => _rules.Stage;

    public bool AllowAll => _rules.AllowAll;

    /// <summary>The execution events are attributed to; the server sets it while an execution runs.</summary>
    public string? ExecutionId
    {
        get => _executionId;
        set => _executionId = value;
    }

    internal SandboxNames Names { get; }

    internal LinkAddresses Link { get; }

    internal ActiveRules Rules => _rules;

    internal uint StageGeneration => _stageGeneration;

    internal ResolvedNames ResolvedNames { get; } = new();

    internal PolicyResolver? Resolver { get; set; }

    /// <summary>True once this instance's firewall transaction for the sandbox succeeded: teardown can remove its objects by name.</summary>
    internal bool FirewallInstalled { get; set; }

    internal TimeSpan MaximumLifetime => _owner.Options.MaximumAllowTimeout;

    /// <summary>
    /// The ports the active stage allows <paramref name="host"/> (a DNS name) on; null when it does not allow the
    /// name. Empty under allow-all, meaning every port. IP literals are not names and get null.
    /// </summary>
    public ImmutableArray<int>? AllowedPortsFor(string host) =>
        IPAddress.TryParse(host, out _) ? null : _rules.PortsFor(host);

    /// <summary>
    /// The IPv4 addresses of an allowed name, by the same rules as this sandbox's policy resolver
    /// (<c>network.dns.hosts</c> first, then the upstream resolver), for a host-side client such as the gateway.
    /// Nothing is added to the sandbox's allow set: the caller connects from the host, not from the sandbox.
    /// Empty when the name is not allowed by the active stage or has no address.
    /// </summary>
    public async Task<ImmutableArray<IPAddress>> ResolveAllowedAsync(string host, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (AllowedPortsFor(host) is null)
            return [];
        var answer = await _owner.Upstream.ResolveAsync(ActiveRules.Normalize(host), cancellationToken).ConfigureAwait(false);
        return answer.ReturnCode == ARSoft.Tools.Net.Dns.ReturnCode.NoError ? answer.Addresses : [];
    }

    /// <summary>
    /// Makes <paramref name="rules"/> (a stage's list, e.g. <c>policy.Network.Execution</c>) the active
    /// ones: the resolver answers by them from now on, and the allow set and the forward chain are replaced in one
    /// transaction, so addresses the previous stage had opened (literal or answered) are closed, and a connection
    /// opened under the previous stage can send on only if the new stage allows its destination too.
    /// </summary>
    public async Task ApplyStageAsync(string stage, ImmutableArray<EgressRule> rules, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var next = ActiveRules.From(stage, rules, _rules.AllowAll);
        await _rulesGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var generation = _stageGeneration + 1;
            await _owner.Firewall.ApplyAsync(_owner.Firewall.Scripts.ReplaceStage(Names, next.AllowAll, next.LiteralPairs, generation), cancellationToken).ConfigureAwait(false);
            _stageGeneration = generation;
            _rules = next;
        }
        finally
        {
            _rulesGate.Release();
        }
    }

    /// <summary>
    /// The second half of <see cref="SandboxNetworks.CreateAsync"/> for a network from
    /// <see cref="SandboxNetworks.PrepareAsync"/>: the sandbox's chains and allow set in one nft transaction, then
    /// the host end of the link up, then its resolver. When this returns, everything the sandbox sends is
    /// filtered; no workload may run before. On failure the whole network is gone (namespace, link, chains).
    /// </summary>
    public Task OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _owner.OpenAsync(this, cancellationToken);
    }

    /// <summary>Tears the network down (namespace, link, chains, sets, resolver). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _owner.TeardownAsync(this, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens an answer's addresses on the ports the now-active rules give the name, with a lifetime of
    /// max(TTL, floor) capped by the ceiling. Returns false when the rules changed since the question was
    /// asked and the name is no longer allowed.
    /// </summary>
    internal async Task<bool> OpenAnsweredAsync(string name, UpstreamAnswer answer, CancellationToken cancellationToken)
    {
        var options = _owner.Options;
        var lifetime = TimeSpan.FromTicks(Math.Clamp(answer.Ttl.Ticks, options.MinimumAllowTimeout.Ticks, options.MaximumAllowTimeout.Ticks));
        ImmutableArray<int> ports;
        await _rulesGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var rules = _rules;
            if (rules.PortsFor(name) is not { } current)
                return false;
            ports = current;
            // Pairs a literal rule already opens for good must not turn into expiring ones.
            var pairs = answer.Addresses.SelectMany(a => ports.Select(p => new AllowedPair(a, p)))
                .Where(p => !rules.LiteralPairs.Contains(p)).ToList();
            if (pairs.Count > 0 && !rules.AllowAll)
                await _owner.Firewall.ApplyAsync(_owner.Firewall.Scripts.AddAnsweredPairs(Names, pairs, lifetime), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _rulesGate.Release();
        }
        ResolvedNames.Remember(name, answer.Addresses);
        _owner.Events.AllowedResolution(new AllowedResolution(SandboxId, Stage, ExecutionId, name, answer.Addresses, ports,
            answer.Ttl, lifetime, _owner.Time.GetUtcNow()));
        return true;
    }

    internal void ReportRefused(string name, string queryType) =>
        _owner.Events.HostNotAllowed(new HostNotAllowed(SandboxId, Stage, ExecutionId, name, queryType, EgressReasons.HostNotAllowed, _owner.Time.GetUtcNow()));

    internal void ReportDropped(DroppedPacket packet) =>
        _owner.Events.BlockedConnection(new BlockedConnection(SandboxId, Stage, ExecutionId, packet.Destination,
            ResolvedNames.NameOf(packet.Destination), packet.DestinationPort, packet.ProtocolName, EgressReasons.HostNotAllowed, _owner.Time.GetUtcNow()));
}
