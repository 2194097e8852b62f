using System.Net;
using System.Net.Sockets;

namespace Cleanroom.Network.Tests;

/// <summary>The policy resolver's answers, as a workload in the sandbox sees them, and the events they raise.</summary>
public sealed class PolicyResolverTests(EgressWorld world) : IClassFixture<EgressWorld>
{
    [NetworkFact]
    public async Task NameNotAllowedGetsNxdomainAndAHostNotAllowedEvent()
    {
        await using var sandbox = await world.CreateSandboxAsync(("api.test", EgressWorld.EchoPort));
        sandbox.ExecutionId = "ex-resolver";
        var before = world.UpstreamDns.Questions;

        var answer = await Probe(sandbox).DnsAsync(sandbox.HostAddress, "fwd.test");

        Assert.Equal(("NxDomain", 0), (answer?.ReturnCode, answer!.Addresses.Count));
        Assert.Equal(before, world.UpstreamDns.Questions);
        var refused = await world.Events.WaitForAsync<HostNotAllowed>(r => r.SandboxId == sandbox.SandboxId);
        Assert.Equal(("fwd.test", "ex-resolver", "host_not_allowed"), (refused.Name, refused.ExecutionId, refused.Reason));
    }

    [NetworkFact]
    public async Task AaaaForAnAllowedNameIsAnEmptyNoError()
    {
        await using var sandbox = await world.CreateSandboxAsync(("fwd.test", EgressWorld.EchoPort));
        var before = world.UpstreamDns.Questions;

        var answer = await Probe(sandbox).DnsAsync(sandbox.HostAddress, "fwd.test", type: "AAAA");

        Assert.Equal(("NoError", 0), (answer?.ReturnCode, answer!.Addresses.Count));
        Assert.Equal(before, world.UpstreamDns.Questions);
    }

    [NetworkFact]
    public async Task AllowedNameIsForwardedAndOpenedOnTheRulesPortsWithTheAnswersTtl()
    {
        await using var sandbox = await world.CreateSandboxAsync(("fwd.test", EgressWorld.EchoPort), ("fwd.test", EgressWorld.UdpPort));
        var before = world.UpstreamDns.Questions;

        var answer = await Probe(sandbox).DnsAsync(sandbox.HostAddress, "FWD.test.");

        Assert.Equal([world.Api.Address], answer!.Addresses);
        Assert.Equal([300], answer.Ttls);
        Assert.Equal(before + 1, world.UpstreamDns.Questions);
        var resolution = await world.Events.WaitForAsync<AllowedResolution>(r => r.SandboxId == sandbox.SandboxId);
        Assert.Equal(("fwd.test", TimeSpan.FromSeconds(300)), (resolution.Name, resolution.Ttl));
        Assert.Equal([world.Api.Address], resolution.Addresses.ToArray());
        Assert.Equal([EgressWorld.UdpPort, EgressWorld.EchoPort], resolution.Ports.ToArray());
        Assert.Contains($"{world.Api.Address} . {EgressWorld.EchoPort}", await AllowSetAsync(sandbox));
        Assert.Contains($"{world.Api.Address} . {EgressWorld.UdpPort}", await AllowSetAsync(sandbox));
    }

    [NetworkFact]
    public async Task StaticHostsAnswerWithoutForwarding()
    {
        await using var sandbox = await world.CreateSandboxAsync(("other.test", EgressWorld.EchoPort));
        var before = world.UpstreamDns.Questions;

        var answer = await Probe(sandbox).DnsAsync(sandbox.HostAddress, "other.test", tcp: true);

        Assert.Equal([world.Other.Address], answer!.Addresses);
        Assert.Equal([60], answer.Ttls);
        Assert.Equal(before, world.UpstreamDns.Questions);
    }

    [NetworkFact]
    public async Task SwitchingStageClosesTheOldStagesAddressesAndAnswersByTheNewRules()
    {
        await using var sandbox = await world.CreateSandboxAsync(("api.test", EgressWorld.EchoPort));
        var probe = Probe(sandbox);
        await probe.DnsAsync(sandbox.HostAddress, "api.test");
        Assert.True(await probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));

        await sandbox.ApplyStageAsync("dependencies", EgressWorld.Rules(("other.test", EgressWorld.EchoPort)), CancellationToken.None);

        Assert.Equal("dependencies", sandbox.Stage);
        Assert.False(await probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));
        Assert.Equal("NxDomain", (await probe.DnsAsync(sandbox.HostAddress, "api.test"))?.ReturnCode);
        await probe.DnsAsync(sandbox.HostAddress, "other.test");
        Assert.True(await probe.TcpAsync(world.Other.Address, EgressWorld.EchoPort));
    }

    [NetworkFact]
    public async Task AConnectionOpenedUnderAnEarlierStageCannotSendOnceTheNextStageDoesNotAllowIt()
    {
        await using var sandbox = await world.CreateSandboxAsync(("api.test", EgressWorld.EchoPort), ("other.test", EgressWorld.EchoPort));
        var probe = Probe(sandbox);
        await probe.DnsAsync(sandbox.HostAddress, "api.test");
        await probe.DnsAsync(sandbox.HostAddress, "other.test");
        using var dropped = await ConnectedAsync(sandbox, world.Api.Address);
        using var kept = await ConnectedAsync(sandbox, world.Other.Address);
        Assert.True(await EchoesAsync(dropped));
        Assert.True(await EchoesAsync(kept));

        await sandbox.ApplyStageAsync("execution", EgressWorld.Rules(("other.test", EgressWorld.EchoPort)), CancellationToken.None);

        // Answers of the old stage are gone with it: once the name is asked again under the new stage, its open
        // connection goes on. A destination the new stage does not allow gets nothing through.
        Assert.False(await EchoesAsync(kept));
        await probe.DnsAsync(sandbox.HostAddress, "other.test");
        Assert.True(await EchoesAsync(kept));
        Assert.False(await EchoesAsync(dropped));
        var blocked = await world.Events.WaitForAsync<BlockedConnection>(b => b.SandboxId == sandbox.SandboxId && b.Address.Equals(world.Api.Address));
        Assert.Equal("execution", blocked.Stage);
    }

    private static async Task<Socket> ConnectedAsync(SandboxNetwork sandbox, IPAddress address)
    {
        var socket = NamespaceSockets.Create(sandbox.NamespacePath, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.ConnectAsync(new IPEndPoint(address, EgressWorld.EchoPort), timeout.Token);
        return socket;
    }

    // One line out; true when it comes back within a short wait (a dropped segment is retransmitted, never echoed).
    private static async Task<bool> EchoesAsync(Socket socket)
    {
        var line = "ping\n"u8.ToArray();
        await socket.SendAsync(line);
        var buffer = new byte[line.Length];
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read), wait.Token);
                if (n == 0)
                    return false;
                read += n;
            }
            return buffer.AsSpan().SequenceEqual(line);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static EgressProbe Probe(SandboxNetwork sandbox) => new(new NsenterWorkloadRunner(sandbox.NamespacePath));

    private async Task<string> AllowSetAsync(SandboxNetwork sandbox) =>
        (await HostShell.RunAsync(["nft", "list", "set", "inet", world.Run.Table, $"sb_{ChainKey(sandbox)}_allow"])).Stdout;

    internal static string ChainKey(SandboxNetwork sandbox) => sandbox.HostInterface[^8..];
}
