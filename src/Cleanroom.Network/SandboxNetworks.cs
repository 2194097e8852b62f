using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using Cleanroom.Errors;
using Cleanroom.Policy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Network;

/// <summary>
/// The egress enforcement a server owns: the nftables table, the NFLOG reader, the address pool and
/// every sandbox network made through it. One instance per server. Disposing it stops the reader and
/// the resolvers but leaves sandbox networks (and the table) in place: sandboxes outlive a server
/// restart, and removing the table would leave their traffic unfiltered. <see cref="ReconcileAsync"/>
/// after the restart removes what no live sandbox owns.
/// </summary>
public sealed class SandboxNetworks : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly SandboxLinks _links;
    private readonly HostLinkInventory _inventory;
    private readonly LinkAddressPool _pool;
    private readonly ConcurrentDictionary<string, SandboxNetwork> _bySandbox = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SandboxNetwork> _byKey = new(StringComparer.Ordinal);
    private UpstreamResolver? _upstream;
    private DropLogReader? _dropLog;

    public SandboxNetworks(NetworkOptions options, IEgressEventSink events, ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
            throw new CleanroomException(ErrorCode.ConfigInvalid, "invalid network settings: " + string.Join("; ", problems));
        Options = options;
        Events = events;
        Time = time ?? TimeProvider.System;
        loggers ??= NullLoggerFactory.Instance;
        _logger = loggers.CreateLogger("Cleanroom.Network");
        _links = new SandboxLinks();
        _inventory = new HostLinkInventory(options.NamePrefix);
        _pool = new LinkAddressPool(options.PoolSubnet);
        Firewall = new Firewall(new CommandRunner(_logger, options.CommandTimeout),
            new FirewallScript(options.TableName, options.PoolSubnet, options.NflogGroup, options.BlockedFlowMemory, options.GatewayPort),
            options.TableName, options.NamePrefix);
    }

    public NetworkOptions Options { get; }

    internal IEgressEventSink Events { get; }

    internal TimeProvider Time { get; }

    internal Firewall Firewall { get; }

    /// <summary>The forwarding leg every sandbox's resolver shares (static hosts, then the upstream); set by <see cref="StartAsync"/>.</summary>
    internal UpstreamResolver Upstream => _upstream ?? throw new InvalidOperationException("call StartAsync first");

    /// <summary>
    /// The IPv4 addresses of <paramref name="host"/> by the rules every sandbox's resolver forwards with
    /// (<c>network.dns.hosts</c>, then the upstream), for work the server does on the host on behalf of a sandbox
    /// that does not exist yet (a server-side repository checkout). The caller decides whether the name may be
    /// reached; empty when it has no address.
    /// </summary>
    public async Task<ImmutableArray<IPAddress>> ResolveOnHostAsync(string host, CancellationToken cancellationToken)
    {
        var answer = await Upstream.ResolveAsync(ActiveRules.Normalize(host), cancellationToken).ConfigureAwait(false);
        return answer.ReturnCode == ARSoft.Tools.Net.Dns.ReturnCode.NoError ? answer.Addresses : [];
    }

    /// <summary>
    /// Makes the host ready: the table and its base chains (kept if present), IPv4 forwarding on, the
    /// NFLOG reader bound. Call once before anything else; fails with <c>network_setup_failed</c>.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var upstream = Options.ResolveUpstream();
        if (upstream is null)
            _logger.LogWarning("no DNS upstream: network.dns.upstream is unset and /etc/resolv.conf names no IPv4 nameserver; only network.dns.hosts will resolve");
        _upstream = new UpstreamResolver(Options, upstream, _logger);
        await Firewall.ApplyAsync(Firewall.Scripts.EnsureTable(), cancellationToken).ConfigureAwait(false);
        await EnableForwardingAsync(cancellationToken).ConfigureAwait(false);
        _dropLog = DropLogReader.Start((ushort)Options.NflogGroup, OnDropped, _logger);
    }

    /// <summary>
    /// Makes a sandbox's network with <paramref name="rules"/> (a stage's allow list, normally
    /// <c>StageRules.Execution</c>) active, or with everything outside the pool open when
    /// <paramref name="allowAll"/> (<c>--dangerously-allow-all</c>): <see cref="PrepareAsync"/>, then
    /// <see cref="SandboxNetwork.OpenAsync"/>. On failure nothing is left behind.
    /// </summary>
    public async Task<SandboxNetwork> CreateAsync(string sandboxId, string stage, ImmutableArray<EgressRule> rules, bool allowAll, CancellationToken cancellationToken)
    {
        var network = await PrepareAsync(sandboxId, stage, rules, allowAll, cancellationToken).ConfigureAwait(false);
        await network.OpenAsync(cancellationToken).ConfigureAwait(false);
        return network;
    }

    /// <summary>
    /// The first half of <see cref="CreateAsync"/>, all of it netlink and /proc/sys (a few milliseconds): the
    /// namespace exists with <c>eth0</c> addressed and routed, so a backend can start the sandbox in
    /// <see cref="SandboxNetwork.NamespacePath"/>; but the host end of the link is down and there is no
    /// firewall, so nothing the sandbox sends goes anywhere until <see cref="SandboxNetwork.OpenAsync"/> (the
    /// firewall transaction, then the link up, then the resolver) has finished. A caller runs that beside the
    /// sandbox's start and runs no workload before both are done. On failure nothing is left behind.
    /// </summary>
    public async Task<SandboxNetwork> PrepareAsync(string sandboxId, string stage, ImmutableArray<EgressRule> rules, bool allowAll, CancellationToken cancellationToken)
    {
        if (_upstream is null)
            throw new InvalidOperationException("call StartAsync first");
        var names = SandboxNames.For(sandboxId, Options);
        var link = _pool.Allocate();
        var network = new SandboxNetwork(this, names, link, ActiveRules.From(stage, rules, allowAll));
        if (!_bySandbox.TryAdd(sandboxId, network))
        {
            _pool.Release(link);
            throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox {sandboxId} already has a network");
        }
        try
        {
            await _links.CreateAsync(names, link, cancellationToken).ConfigureAwait(false);
            return network;
        }
        catch (Exception e)
        {
            throw await FailedAsync(network, e).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes back the network of a sandbox that survived a server restart: reads its link address,
    /// reinstalls its chains with <paramref name="rules"/> (clearing its allow set; the workload resolves
    /// again) and restarts its resolver. Throws <c>not_found</c> when the link is gone.
    /// </summary>
    public async Task<SandboxNetwork> AdoptAsync(string sandboxId, string stage, ImmutableArray<EgressRule> rules, bool allowAll, CancellationToken cancellationToken)
    {
        var names = SandboxNames.For(sandboxId, Options);
        var found = _inventory.HostLinks()
            .FirstOrDefault(l => l.Name == names.HostLink && l.SandboxId == sandboxId && l.HostAddress is not null);
        if (found is null || !File.Exists(names.NamespacePath))
            throw new CleanroomException(ErrorCode.NotFound, $"sandbox {sandboxId} has no network on this host to adopt");
        _pool.MarkTaken(found.HostAddress!);
        var offset = Ipv4Subnet.ToUInt32(found.HostAddress!) - 1 - Options.PoolSubnet.Network;
        var network = new SandboxNetwork(this, names, LinkAddresses.At(Options.PoolSubnet, offset / 4), ActiveRules.From(stage, rules, allowAll));
        if (!_bySandbox.TryAdd(sandboxId, network))
            throw new CleanroomException(ErrorCode.InvalidArgument, $"sandbox {sandboxId} already has a network");
        try
        {
            await InstallAsync(network, cancellationToken).ConfigureAwait(false);
            return network;
        }
        catch
        {
            _bySandbox.TryRemove(sandboxId, out _);
            throw;
        }
    }

    /// <summary>The network of a sandbox made or adopted by this instance, if any.</summary>
    public SandboxNetwork? Find(string sandboxId) => _bySandbox.GetValueOrDefault(sandboxId);

    /// <summary>
    /// Removes every namespace, host link and table object with this server's prefix that does not
    /// belong to a sandbox in <paramref name="liveSandboxIds"/> (networks this instance holds for other
    /// ids are torn down too). Live sandboxes' links keep their addresses reserved in the pool.
    /// </summary>
    public async Task<ReconcileResult> ReconcileAsync(IReadOnlySet<string> liveSandboxIds, CancellationToken cancellationToken)
    {
        foreach (var stale in _bySandbox.Values.Where(n => !liveSandboxIds.Contains(n.SandboxId)).ToList())
            await stale.DisposeAsync().ConfigureAwait(false);

        var removed = new List<string>();
        var problems = new List<string>();
        var liveKeys = liveSandboxIds.Select(id => SandboxNames.For(id, Options).Key).ToHashSet(StringComparer.Ordinal);

        var state = await Firewall.ReadAsync(cancellationToken).ConfigureAwait(false);
        var staleKeys = state.Keys().Where(k => !liveKeys.Contains(k)).ToList();
        if (staleKeys.Count > 0)
        {
            var script = string.Concat(staleKeys.Select(k => Firewall.Scripts.RemoveSandbox(k, state)));
            await Firewall.ApplyAsync(script, cancellationToken).ConfigureAwait(false);
            removed.AddRange(staleKeys.Select(k => $"nft objects sb_{k}_*"));
        }

        foreach (var link in _inventory.HostLinks())
        {
            if (link.SandboxId is { } id && liveSandboxIds.Contains(id))
            {
                if (link.HostAddress is { } address)
                    _pool.MarkTaken(address);
                continue;
            }
            problems.AddRange(_links.Remove(null, link.Name));
            removed.Add($"link {link.Name}");
        }

        var namespacePrefix = Options.NamePrefix + "-";
        foreach (var name in _inventory.Namespaces())
        {
            if (liveSandboxIds.Contains(name[namespacePrefix.Length..]))
                continue;
            problems.AddRange(_links.Remove(name, null));
            removed.Add($"namespace {name}");
        }

        if (problems.Count > 0)
            _logger.LogWarning("reconcile left things behind: {Problems}", string.Join("; ", problems));
        return new ReconcileResult(removed, problems);
    }

    /// <summary>Stops the NFLOG reader and every resolver; sandbox networks and the table stay (see the class remarks).</summary>
    public async ValueTask DisposeAsync()
    {
        _dropLog?.Dispose();
        _dropLog = null;
        foreach (var network in _bySandbox.Values)
            if (network.Resolver is { } resolver)
                await resolver.DisposeAsync().ConfigureAwait(false);
        _upstream?.Dispose();
        Firewall.Dispose();
    }

    /// <summary>Deletes the whole table. Only for tests and uninstall: live sandboxes would lose all filtering.</summary>
    internal Task DeleteTableAsync(CancellationToken cancellationToken) =>
        Firewall.ApplyAsync(Firewall.Scripts.DeleteTable(), cancellationToken);

    /// <summary>
    /// The link and namespace go first, so no packet can arrive on the link once its chains are gone; the chains
    /// and sets go only when the link did (else reconciliation retries both later). A network this instance
    /// installed is removed by name in one transaction; otherwise, or if that fails, the table is read first.
    /// </summary>
    internal async Task TeardownAsync(SandboxNetwork network, CancellationToken cancellationToken)
    {
        if (network.Resolver is { } resolver)
            await resolver.DisposeAsync().ConfigureAwait(false);
        network.Resolver = null;
        _byKey.TryRemove(new KeyValuePair<string, SandboxNetwork>(network.Names.Key, network));
        var problems = new List<string>(_links.Remove(network.NamespaceName, network.HostInterface));
        if (problems.Count == 0)
        {
            try
            {
                await RemoveFirewallAsync(network, cancellationToken).ConfigureAwait(false);
            }
            catch (CleanroomException e)
            {
                problems.Add(e.Message);
            }
        }
        _bySandbox.TryRemove(new KeyValuePair<string, SandboxNetwork>(network.SandboxId, network));
        if (problems.Count > 0)
            throw new CleanroomException(ErrorCode.NetworkSetupFailed,
                $"removing the network of {network.SandboxId} left things behind (ReconcileAsync will retry): {string.Join("; ", problems)}");
        _pool.Release(network.Link);
    }

    private async Task RemoveFirewallAsync(SandboxNetwork network, CancellationToken cancellationToken)
    {
        if (network.FirewallInstalled)
        {
            try
            {
                await Firewall.ApplyAsync(Firewall.Scripts.RemoveInstalledSandbox(network.Names), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (CleanroomException e)
            {
                _logger.LogDebug(e, "removing the chains of {Sandbox} by name failed; reading the table", network.SandboxId);
            }
        }
        var state = await Firewall.ReadAsync(cancellationToken).ConfigureAwait(false);
        var script = Firewall.Scripts.RemoveSandbox(network.Names.Key, state);
        if (script.Length > 0)
            await Firewall.ApplyAsync(script, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The second half of <see cref="CreateAsync"/>; on failure the whole network is removed.</summary>
    internal async Task OpenAsync(SandboxNetwork network, CancellationToken cancellationToken)
    {
        try
        {
            await InstallAsync(network, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw await FailedAsync(network, e).ConfigureAwait(false);
        }
    }

    /// <summary>Tears a half-made network down and returns the error to throw (network_setup_failed unless it is typed already).</summary>
    private async Task<Exception> FailedAsync(SandboxNetwork network, Exception e)
    {
        try
        {
            await network.DisposeAsync().ConfigureAwait(false);
        }
        catch (CleanroomException cleanup)
        {
            _logger.LogWarning(cleanup, "cleaning up after a failed network setup for {Sandbox} failed", network.SandboxId);
        }
        return e is CleanroomException or OperationCanceledException
            ? e
            : new CleanroomException(ErrorCode.NetworkSetupFailed, $"setting up the network of {network.SandboxId} failed: {e.Message}", e);
    }

    /// <summary>
    /// The firewall transaction first, then the host end of the link up, then the resolver (which binds the
    /// host address, usable only once the link is up): the link never carries a packet the chains do not see.
    /// </summary>
    private async Task InstallAsync(SandboxNetwork network, CancellationToken cancellationToken)
    {
        if (_upstream is null)
            throw new InvalidOperationException("call StartAsync first");
        network.FirewallInstalled = false;
        await Firewall.ApplyAsync(Firewall.Scripts.AddSandbox(network.Names, network.Link, network.AllowAll, network.Rules.LiteralPairs, network.StageGeneration), cancellationToken)
            .ConfigureAwait(false);
        network.FirewallInstalled = true;
        _byKey[network.Names.Key] = network;
        _links.Open(network.Names);
        var resolver = new PolicyResolver(network, _upstream, _logger);
        network.Resolver = resolver;
        resolver.Start();
    }

    private static async Task EnableForwardingAsync(CancellationToken cancellationToken)
    {
        const string path = "/proc/sys/net/ipv4/ip_forward";
        try
        {
            if ((await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).Trim() != "1")
                await File.WriteAllTextAsync(path, "1", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CleanroomException(ErrorCode.NetworkSetupFailed, $"cannot turn on IPv4 forwarding ({path}): {e.Message}", e);
        }
    }

    private void OnDropped(DroppedPacket packet)
    {
        var key = packet.Prefix.StartsWith(Options.NamePrefix + ":", StringComparison.Ordinal)
            ? packet.Prefix[(Options.NamePrefix.Length + 1)..].Trim()
            : null;
        if (key is not null && _byKey.TryGetValue(key, out var network))
            network.ReportDropped(packet);
        else
            _logger.LogDebug("dropped packet with log prefix {Prefix} belongs to no sandbox of this server", packet.Prefix);
    }
}

/// <summary>What <see cref="SandboxNetworks.ReconcileAsync"/> removed, and what it could not.</summary>
public sealed record ReconcileResult(IReadOnlyList<string> Removed, IReadOnlyList<string> Problems);
