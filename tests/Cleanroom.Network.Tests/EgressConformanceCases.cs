using System.Net;

namespace Cleanroom.Network.Tests;

/// <summary>
/// The egress outcomes every backend must produce, written against <see cref="IWorkloadRunner"/> only:
/// a subclass says how to run a program inside a sandbox (a plain process under nsenter, a gVisor sandbox
/// started in the sandbox's namespace, a QEMU guest behind it). Every "blocked" case has a reachable
/// counterpart in the same test or in <see cref="AllowedHostPortIsReachableAfterResolvingIt"/>, so a
/// probe that can never succeed would fail the suite rather than pass it. The only hooks a subclass may
/// override are the ICMP assertions, and only with proof that its sandboxes cannot send ICMP at all (see
/// <see cref="GvisorEgressConformanceTests"/>); every case runs for every subclass.
/// </summary>
public abstract class EgressConformanceCases(EgressWorld world)
{
    /// <summary>The runner for one sandbox network; every probe in that network goes through it.</summary>
    protected abstract IWorkloadRunner RunnerFor(SandboxNetwork sandbox);

    protected Task<SandboxUnderTest> CreateSandboxAsync(params (string Host, int Port)[] allow) => CreateSandboxAsync(false, allow);

    protected async Task<SandboxUnderTest> CreateSandboxAsync(bool allowAll, params (string Host, int Port)[] allow)
    {
        var network = await world.CreateSandboxAsync(allowAll, allow);
        try
        {
            return new SandboxUnderTest(network, RunnerFor(network));
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    [NetworkFact]
    public async Task AllowedHostPortIsReachableAfterResolvingIt()
    {
        await using var sandbox = await CreateSandboxAsync(("api.test", EgressWorld.EchoPort));
        var probe = sandbox.Probe;
        var before = world.ApiEcho.Accepted;

        var answer = await probe.DnsAsync(sandbox.HostAddress, "api.test");

        Assert.Equal("NoError", answer?.ReturnCode);
        Assert.Equal([world.Api.Address], answer!.Addresses);
        Assert.True(await probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));
        Assert.Equal(before + 1, world.ApiEcho.Accepted);
    }

    [NetworkFact]
    public async Task AllowedHostsAddressIsBlockedUntilTheSandboxResolvesIt()
    {
        await using var sandbox = await CreateSandboxAsync(("api.test", EgressWorld.EchoPort));
        var probe = sandbox.Probe;

        Assert.False(await probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));
        await probe.DnsAsync(sandbox.HostAddress, "api.test");
        Assert.True(await probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));
    }

    [NetworkFact]
    public async Task SameHostOnAPortNotAllowedIsBlockedAndReportedWithItsName()
    {
        await using var sandbox = await CreateSandboxAsync(("api.test", EgressWorld.EchoPort));
        var probe = sandbox.Probe;
        await probe.DnsAsync(sandbox.HostAddress, "api.test");
        var before = world.ApiOtherPort.Accepted;

        Assert.False(await probe.TcpAsync(world.Api.Address, EgressWorld.OtherPort));

        Assert.Equal(before, world.ApiOtherPort.Accepted);
        var blocked = await world.Events.WaitForAsync<BlockedConnection>(b => b.SandboxId == sandbox.SandboxId);
        Assert.Equal((world.Api.Address, "api.test", EgressWorld.OtherPort, "tcp", "host_not_allowed"),
            (blocked.Address, blocked.HostName, blocked.Port, blocked.Protocol, blocked.Reason));
    }

    [NetworkFact]
    public async Task AnotherHostIsBlocked()
    {
        await using var sandbox = await CreateSandboxAsync(("api.test", EgressWorld.EchoPort));
        var before = world.OtherEcho.Accepted;

        Assert.False(await sandbox.Probe.TcpAsync(world.Other.Address, EgressWorld.EchoPort));

        Assert.Equal(before, world.OtherEcho.Accepted);
        var blocked = await world.Events.WaitForAsync<BlockedConnection>(b => b.SandboxId == sandbox.SandboxId);
        Assert.Equal((world.Other.Address, (string?)null, EgressWorld.EchoPort), (blocked.Address, blocked.HostName, blocked.Port));
    }

    [NetworkFact]
    public async Task DnsToAnyResolverButThePolicyOneIsBlocked()
    {
        await using var sandbox = await CreateSandboxAsync(("fwd.test", EgressWorld.EchoPort));
        var probe = sandbox.Probe;
        var before = world.UpstreamDns.Questions;

        Assert.Null(await probe.DnsAsync(world.Resolver.Address, "fwd.test"));
        Assert.Null(await probe.DnsAsync(world.Resolver.Address, "fwd.test", tcp: true));
        Assert.Equal(before, world.UpstreamDns.Questions);

        var udp = await world.Events.WaitForAsync<BlockedConnection>(b => b.SandboxId == sandbox.SandboxId && b.Protocol == "udp");
        var tcp = await world.Events.WaitForAsync<BlockedConnection>(b => b.SandboxId == sandbox.SandboxId && b.Protocol == "tcp");
        Assert.Equal((world.Resolver.Address, 53), (udp.Address, udp.Port));
        Assert.Equal((world.Resolver.Address, 53), (tcp.Address, tcp.Port));
        // The same name through the policy resolver works (over UDP and TCP) and really was forwarded.
        Assert.Equal([world.Api.Address], (await probe.DnsAsync(sandbox.HostAddress, "fwd.test"))!.Addresses);
        Assert.Equal([world.Api.Address], (await probe.DnsAsync(sandbox.HostAddress, "fwd.test", tcp: true))!.Addresses);
        Assert.True(world.UpstreamDns.Questions > before);
    }

    [NetworkFact]
    public async Task UdpAndIcmpToDestinationsNotAllowedAreBlocked()
    {
        await using var sandbox = await CreateSandboxAsync(("api.test", EgressWorld.EchoPort));
        var probe = sandbox.Probe;
        var before = world.OtherUdp.Received;

        Assert.False(await probe.UdpAsync(world.Other.Address, EgressWorld.UdpPort));

        Assert.Equal(before, world.OtherUdp.Received);
        var udp = await world.Events.WaitForAsync<BlockedConnection>(b => b.SandboxId == sandbox.SandboxId && b.Protocol == "udp");
        Assert.Equal((world.Other.Address, EgressWorld.UdpPort), (udp.Address, udp.Port));
        await AssertIcmpIsBlockedAndReportedAsync(sandbox, world.Other.Address);
    }

    [NetworkFact]
    public async Task AllowedUdpPortIsReachable()
    {
        await using var sandbox = await CreateSandboxAsync(("api.test", EgressWorld.UdpPort));
        var probe = sandbox.Probe;
        await probe.DnsAsync(sandbox.HostAddress, "api.test");

        Assert.True(await probe.UdpAsync(world.Api.Address, EgressWorld.UdpPort));
    }

    [NetworkFact]
    public async Task SpoofedSourceAddressIsDropped()
    {
        await using var sandbox = await CreateSandboxAsync((world.Api.Address.ToString(), EgressWorld.EchoPort));
        var probe = sandbox.Probe;
        var spoofed = IPAddress.Parse("198.18.255.77");
        await sandbox.AddLinkAddressAsync(spoofed);
        var before = world.ApiEcho.Accepted;
        var dropsBefore = await world.ForgedSourceDropsAsync(sandbox.Network);

        Assert.False(await probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort, source: spoofed));
        Assert.Equal(before, world.ApiEcho.Accepted);
        // The forged packets did leave the sandbox, and the anti-spoofing rule on its link is what stopped them.
        Assert.True(await world.ForgedSourceDropsAsync(sandbox.Network) > dropsBefore, "no forged packet reached the sandbox's link");
        Assert.True(await probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));
        Assert.Equal(before + 1, world.ApiEcho.Accepted);
    }

    [NetworkFact]
    public async Task HostServicesAreUnreachable()
    {
        await using var sandbox = await CreateSandboxAsync(("api.test", EgressWorld.EchoPort));
        var probe = sandbox.Probe;
        var port = world.HostService.Endpoint.Port;

        Assert.False(await probe.TcpAsync(sandbox.HostAddress, port));
        Assert.False(await probe.TcpAsync(world.Api.HostEnd, port));
        Assert.False(await probe.TcpAsync(IPAddress.Loopback, port));
        Assert.Equal(0, world.HostService.Accepted);
        var blocked = await world.Events.WaitForAsync<BlockedConnection>(b => b.SandboxId == sandbox.SandboxId && b.Address.Equals(sandbox.HostAddress));
        Assert.Equal(port, blocked.Port);
        // Control: the host service is up, so the sandbox's failures above are the firewall's doing.
        Assert.True(await new EgressProbe(new HostRunner()).TcpAsync(world.Api.HostEnd, port));
    }

    [NetworkFact]
    public async Task AnotherSandboxIsUnreachableEvenWhenItsAddressIsAllowedLiterally()
    {
        await using var target = await CreateSandboxAsync();
        using var listener = new TcpEchoListener(
            NamespaceSockets.Create(target.NamespacePath, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp),
            new IPEndPoint(target.SandboxAddress, EgressWorld.EchoPort));
        await using var sandbox = await CreateSandboxAsync((target.SandboxAddress.ToString(), EgressWorld.EchoPort));

        Assert.False(await sandbox.Probe.TcpAsync(target.SandboxAddress, EgressWorld.EchoPort));
        Assert.False(await sandbox.Probe.TcpAsync(target.HostAddress, 53));
        Assert.Equal(0, listener.Accepted);
        await world.Events.WaitForAsync<BlockedConnection>(b => b.SandboxId == sandbox.SandboxId && b.Address.Equals(target.SandboxAddress));
    }

    [NetworkFact]
    public async Task SandboxesWithDifferentPoliciesDoNotShareAllowances()
    {
        await using var first = await CreateSandboxAsync(("api.test", EgressWorld.EchoPort));
        await using var second = await CreateSandboxAsync(("other.test", EgressWorld.EchoPort));
        await first.Probe.DnsAsync(first.HostAddress, "api.test");
        Assert.True(await first.Probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));

        Assert.False(await second.Probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));
        Assert.Equal("NxDomain", (await second.Probe.DnsAsync(second.HostAddress, "api.test"))?.ReturnCode);
        // The second sandbox cannot use the first one's resolver either.
        Assert.Null(await second.Probe.DnsAsync(first.HostAddress, "api.test"));
    }

    [NetworkFact]
    public async Task LiteralIpRuleIsReachableWithoutDnsOnItsPortOnly()
    {
        await using var sandbox = await CreateSandboxAsync((world.Other.Address.ToString(), EgressWorld.EchoPort));
        var probe = sandbox.Probe;

        Assert.True(await probe.TcpAsync(world.Other.Address, EgressWorld.EchoPort));
        Assert.False(await probe.UdpAsync(world.Other.Address, EgressWorld.UdpPort));
    }

    [NetworkFact]
    public async Task EachBlockedConnectAttemptIsReportedExactlyOnceDespiteSynRetries()
    {
        await using var sandbox = await CreateSandboxAsync(("api.test", EgressWorld.EchoPort));
        var probe = sandbox.Probe;
        bool Matches(BlockedConnection b) => b.SandboxId == sandbox.SandboxId && b.Address.Equals(world.Other.Address) && b.Port == EgressWorld.EchoPort;

        // 3.5 s lets the kernel retransmit the SYN at about 1 s and 3 s: three packets, one attempt.
        Assert.False(await probe.TcpAsync(world.Other.Address, EgressWorld.EchoPort, timeoutMs: 3500));
        await world.Events.WaitForAsync<BlockedConnection>(Matches);
        Assert.Single(world.Events.Blocked, Matches);

        // A second attempt (a new source port) is a new event, not swallowed by the first one's memory.
        Assert.False(await probe.TcpAsync(world.Other.Address, EgressWorld.EchoPort, timeoutMs: 1500));
        await world.Events.WaitForAsync<BlockedConnection>(b => Matches(b) && world.Events.Blocked.Count(Matches) == 2);
        Assert.Equal(2, world.Events.Blocked.Count(Matches));
    }

    [NetworkFact]
    public async Task AllowAllReachesAnyUpstreamButStillNotTheHostOrOtherSandboxes()
    {
        await using var neighbour = await CreateSandboxAsync();
        using var listener = new TcpEchoListener(
            NamespaceSockets.Create(neighbour.NamespacePath, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp),
            new IPEndPoint(neighbour.SandboxAddress, EgressWorld.EchoPort));
        await using var sandbox = await CreateSandboxAsync(allowAll: true);
        var probe = sandbox.Probe;

        Assert.True(await probe.TcpAsync(world.Other.Address, EgressWorld.EchoPort));
        Assert.True(await probe.UdpAsync(world.Other.Address, EgressWorld.UdpPort));
        await AssertIcmpReachesAsync(sandbox, world.Other.Address);
        Assert.Equal([world.Api.Address], (await probe.DnsAsync(sandbox.HostAddress, "fwd.test"))!.Addresses);
        Assert.Equal([world.Other.Address], (await probe.DnsAsync(sandbox.HostAddress, "other.test"))!.Addresses);

        Assert.False(await probe.TcpAsync(sandbox.HostAddress, world.HostService.Endpoint.Port));
        Assert.False(await probe.TcpAsync(neighbour.SandboxAddress, EgressWorld.EchoPort));
        Assert.Equal(0, listener.Accepted);
        var spoofed = IPAddress.Parse("198.18.255.78");
        await sandbox.AddLinkAddressAsync(spoofed);
        var dropsBefore = await world.ForgedSourceDropsAsync(sandbox.Network);
        Assert.False(await probe.TcpAsync(world.Other.Address, EgressWorld.EchoPort, source: spoofed));
        Assert.True(await world.ForgedSourceDropsAsync(sandbox.Network) > dropsBefore, "no forged packet reached the sandbox's link");
    }

    /// <summary>
    /// An echo request to a destination the sandbox may not reach gets no reply, and the firewall reports it.
    /// Overridden only by a backend whose sandboxes cannot send ICMP at all; the override must prove that.
    /// </summary>
    protected virtual async Task AssertIcmpIsBlockedAndReportedAsync(SandboxUnderTest sandbox, IPAddress destination)
    {
        Assert.False(await sandbox.Probe.PingAsync(destination));
        var icmp = await world.Events.WaitForAsync<BlockedConnection>(b => b.SandboxId == sandbox.SandboxId && b.Protocol == "icmp");
        Assert.Equal((destination, 0), (icmp.Address, icmp.Port));
    }

    /// <summary>An echo request to a destination the sandbox may reach is answered. Same rule for overrides.</summary>
    protected virtual async Task AssertIcmpReachesAsync(SandboxUnderTest sandbox, IPAddress destination) =>
        Assert.True(await sandbox.Probe.PingAsync(destination));

    /// <summary>Runs probes on the host itself, for controls that show a target is really up.</summary>
    private sealed class HostRunner : IWorkloadRunner
    {
        public IReadOnlyList<string> ProbeCommand => EgressProbe.ManagedCommand;

        public async Task<WorkloadResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout)
        {
            var (code, stdout, stderr) = await HostShell.RunAsync(argv, check: false).WaitAsync(timeout);
            return new WorkloadResult(code, stdout, stderr);
        }

        public Task AddLinkAddressAsync(IPAddress address) => throw new NotSupportedException("the host's own links are not the test's to change");
    }
}

/// <summary>The conformance cases with a plain process in the sandbox's namespace.</summary>
public sealed class NsenterEgressConformanceTests(EgressWorld world) : EgressConformanceCases(world), IClassFixture<EgressWorld>
{
    protected override IWorkloadRunner RunnerFor(SandboxNetwork sandbox) => new NsenterWorkloadRunner(sandbox.NamespacePath);
}
