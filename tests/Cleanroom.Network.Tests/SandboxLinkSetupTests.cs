using System.Text.Json;
using Cleanroom.Errors;

namespace Cleanroom.Network.Tests;

/// <summary>
/// What <see cref="SandboxNetworks.PrepareAsync"/> and <see cref="SandboxNetwork.OpenAsync"/> leave on the host,
/// read back with ip and nft: a prepared network is complete inside the namespace but its host end is down and it
/// has no chains; opening adds the chains, then the link; a setup that fails half-way leaves nothing.
/// </summary>
public sealed class SandboxLinkSetupTests(EgressWorld world) : IClassFixture<EgressWorld>
{
    [NetworkFact]
    public async Task A_prepared_network_is_addressed_and_routed_inside_but_its_host_end_stays_down_until_the_firewall_is_in()
    {
        var id = EgressWorld.NewSandboxId();
        await using var network = await world.Networks.PrepareAsync(id, "execution", EgressWorld.Rules(("api.test", EgressWorld.EchoPort)), false, CancellationToken.None);

        var inside = JsonDocument.Parse((await HostShell.RunAsync(["ip", "-n", network.NamespaceName, "-j", "addr", "show", "dev", "eth0"])).Stdout).RootElement[0];
        Assert.Contains(inside.GetProperty("addr_info").EnumerateArray(), a => a.GetProperty("local").GetString() == network.SandboxAddress.ToString());
        Assert.DoesNotContain(inside.GetProperty("addr_info").EnumerateArray(), a => a.GetProperty("family").GetString() == "inet6");
        Assert.Contains($"default via {network.HostAddress} dev eth0", (await HostShell.RunAsync(["ip", "-n", network.NamespaceName, "route"])).Stdout);
        Assert.Equal("1", (await HostShell.RunAsync(["nsenter", $"--net={network.NamespacePath}", "cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6"])).Stdout.Trim());

        Assert.False(await HostLinkUpAsync(network.HostInterface));
        Assert.Equal(id, await HostLinkAliasAsync(network.HostInterface));
        Assert.DoesNotContain(network.Names.ChainPrefix, (await HostShell.RunAsync(["nft", "list", "table", "inet", world.Run.Table])).Stdout);

        await network.OpenAsync(CancellationToken.None);
        Assert.True(await HostLinkUpAsync(network.HostInterface));
        Assert.Contains(network.Names.ForwardChain, (await HostShell.RunAsync(["nft", "list", "table", "inet", world.Run.Table])).Stdout);
        Assert.True(await new EgressProbe(new NsenterWorkloadRunner(network.NamespacePath)).TcpAsync(world.Api.Address, EgressWorld.EchoPort) is false);
    }

    [NetworkFact]
    public async Task A_setup_that_fails_after_the_namespace_exists_leaves_no_namespace_link_or_chains()
    {
        var id = EgressWorld.NewSandboxId();
        var names = SandboxNames.For(id, world.Networks.Options);
        // Someone else's link under the name the host end needs: the veth cannot be made.
        await HostShell.RunAsync(["ip", "link", "add", names.HostLink, "type", "veth", "peer", "name", world.Run.Prefix + "p"]);

        var error = await Assert.ThrowsAsync<CleanroomException>(() =>
            world.Networks.CreateAsync(id, "execution", EgressWorld.Rules(("api.test", EgressWorld.EchoPort)), false, CancellationToken.None));

        Assert.Equal(ErrorCode.NetworkSetupFailed, error.Code);
        Assert.Contains("File exists", error.Message);
        Assert.False(File.Exists(names.NamespacePath));
        Assert.NotEqual(0, (await HostShell.RunAsync(["ip", "link", "show", names.HostLink], check: false)).ExitCode);
        Assert.NotEqual(0, (await HostShell.RunAsync(["ip", "link", "show", world.Run.Prefix + "p"], check: false)).ExitCode);
        Assert.DoesNotContain(names.ChainPrefix, (await HostShell.RunAsync(["nft", "list", "table", "inet", world.Run.Table])).Stdout);
        Assert.Null(world.Networks.Find(id));
    }

    [NetworkFact]
    public async Task A_firewall_that_fails_to_go_in_removes_the_prepared_network()
    {
        var id = EgressWorld.NewSandboxId();
        var network = await world.Networks.PrepareAsync(id, "execution", EgressWorld.Rules(("api.test", EgressWorld.EchoPort)), false, CancellationToken.None);
        // The sandbox's allow set already exists with another type: nft rejects the whole transaction.
        await HostShell.RunAsync(["nft", "add", "set", "inet", world.Run.Table, network.Names.AllowSet, "{ type ipv4_addr; }"]);
        try
        {
            var error = await Assert.ThrowsAsync<CleanroomException>(() => network.OpenAsync(CancellationToken.None));
            Assert.Equal(ErrorCode.NetworkSetupFailed, error.Code);
            Assert.False(File.Exists(network.NamespacePath));
            Assert.NotEqual(0, (await HostShell.RunAsync(["ip", "link", "show", network.HostInterface], check: false)).ExitCode);
            Assert.Null(world.Networks.Find(id));
        }
        finally
        {
            await HostShell.RunAsync(["nft", "delete", "set", "inet", world.Run.Table, network.Names.AllowSet], check: false);
        }
    }

    private static async Task<bool> HostLinkUpAsync(string link) =>
        JsonDocument.Parse((await HostShell.RunAsync(["ip", "-j", "link", "show", link])).Stdout).RootElement[0]
            .GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "UP");

    private static async Task<string?> HostLinkAliasAsync(string link) =>
        JsonDocument.Parse((await HostShell.RunAsync(["ip", "-j", "link", "show", link])).Stdout).RootElement[0]
            .TryGetProperty("ifalias", out var alias) ? alias.GetString() : null;
}
