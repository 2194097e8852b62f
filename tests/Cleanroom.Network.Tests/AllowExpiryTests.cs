namespace Cleanroom.Network.Tests;

/// <summary>A world whose answers live 1 s and whose allow-set floor is 2 s instead of 30 s.</summary>
public sealed class ShortLivedAnswersWorld : EgressWorld
{
    protected override TimeSpan MinimumAllowTimeout => TimeSpan.FromSeconds(2);

    protected override TimeSpan StaticHostTtl => TimeSpan.FromSeconds(1);
}

public sealed class AllowExpiryTests(ShortLivedAnswersWorld world) : IClassFixture<ShortLivedAnswersWorld>
{
    [NetworkFact]
    public async Task AnsweredAddressIsNoLongerAllowedAfterItsLifetimeUntilANewAnswer()
    {
        await using var sandbox = await world.CreateSandboxAsync(("api.test", EgressWorld.EchoPort));
        var probe = new EgressProbe(new NsenterWorkloadRunner(sandbox.NamespacePath));
        var answer = await probe.DnsAsync(sandbox.HostAddress, "api.test");
        Assert.Equal([1], answer!.Ttls);
        Assert.True(await probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));
        var resolution = await world.Events.WaitForAsync<AllowedResolution>(r => r.SandboxId == sandbox.SandboxId);
        Assert.Equal(TimeSpan.FromSeconds(2), resolution.Lifetime);

        // The kernel removes the element when its timeout passes; wait for that, not for a guessed time.
        var element = $"{world.Api.Address} . {EgressWorld.EchoPort}";
        Assert.True(await HostShell.EventuallyAsync(async () => !(await AllowSetAsync(sandbox)).Contains(element), TimeSpan.FromSeconds(10)));
        Assert.False(await probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));

        await probe.DnsAsync(sandbox.HostAddress, "api.test");
        Assert.True(await probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));
    }

    private async Task<string> AllowSetAsync(SandboxNetwork sandbox) =>
        (await HostShell.RunAsync(["nft", "list", "set", "inet", world.Run.Table, $"sb_{PolicyResolverTests.ChainKey(sandbox)}_allow"])).Stdout;
}
