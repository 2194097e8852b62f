using System.Collections.Immutable;

namespace Cleanroom.Network.Tests;

/// <summary>Nothing a sandbox network made survives its teardown, nor a server crash followed by reconciliation.</summary>
public sealed class TeardownAndReconcileTests(EgressWorld world) : IClassFixture<EgressWorld>
{
    [NetworkFact]
    public async Task TeardownRemovesNamespaceLinkChainsSetsAndResolver()
    {
        var sandbox = await world.CreateSandboxAsync(("api.test", EgressWorld.EchoPort));
        var key = PolicyResolverTests.ChainKey(sandbox);
        Assert.NotEmpty(await ObjectsOfAsync(world.Run.Table, key, sandbox));

        await sandbox.DisposeAsync();
        await sandbox.DisposeAsync(); // idempotent

        Assert.Empty(await ObjectsOfAsync(world.Run.Table, key, sandbox));
        Assert.Null(world.Networks.Find(sandbox.SandboxId));
    }

    [NetworkFact]
    public async Task AfterACrashReconcileRemovesWhatNoLiveSandboxOwnsAndTheSurvivorCanBeAdopted()
    {
        var run = TestRun.New();
        var hosts = ImmutableDictionary<string, string>.Empty.Add("api.test", world.Api.Address.ToString());
        var options = run.Options(hosts, upstream: null);
        var rules = EgressWorld.Rules(("api.test", EgressWorld.EchoPort));
        string gone = EgressWorld.NewSandboxId(), survivor = EgressWorld.NewSandboxId();
        try
        {
            var crashed = new SandboxNetworks(options, world.Events);
            await crashed.StartAsync(CancellationToken.None);
            await crashed.CreateAsync(gone, "execution", rules, false, CancellationToken.None);
            var kept = await crashed.CreateAsync(survivor, "execution", rules, false, CancellationToken.None);
            // The crash: the process's resolvers and NFLOG socket vanish; namespaces, links and the table stay.
            await crashed.DisposeAsync();
            Assert.Equal(2, (await run.LeftoversAsync()).Count(l => l.StartsWith("netns", StringComparison.Ordinal)));

            await using var restarted = new SandboxNetworks(options, world.Events);
            await restarted.StartAsync(CancellationToken.None);
            var result = await restarted.ReconcileAsync(new HashSet<string> { survivor }, CancellationToken.None);

            Assert.Empty(result.Problems);
            var left = await run.LeftoversAsync();
            Assert.DoesNotContain(left, l => l.Contains(gone, StringComparison.Ordinal));
            Assert.Contains(left, l => l.Contains(survivor, StringComparison.Ordinal));
            var nft = (await HostShell.RunAsync(["nft", "list", "table", "inet", run.Table])).Stdout;
            Assert.DoesNotContain($"sb_{SandboxNames.For(gone, options).Key}_", nft);
            Assert.Contains($"sb_{SandboxNames.For(survivor, options).Key}_", nft);

            // A new sandbox does not get the survivor's addresses.
            await using (var fresh = await restarted.CreateAsync(EgressWorld.NewSandboxId(), "execution", rules, false, CancellationToken.None))
                Assert.NotEqual(kept.HostAddress, fresh.HostAddress);

            await using var adopted = await restarted.AdoptAsync(survivor, "execution", rules, false, CancellationToken.None);
            Assert.Equal(kept.SandboxAddress, adopted.SandboxAddress);
            var probe = new EgressProbe(new NsenterWorkloadRunner(adopted.NamespacePath));
            Assert.False(await probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));
            Assert.Equal([world.Api.Address], (await probe.DnsAsync(adopted.HostAddress, "api.test"))!.Addresses);
            Assert.True(await probe.TcpAsync(world.Api.Address, EgressWorld.EchoPort));
        }
        finally
        {
            await using (var cleaner = new SandboxNetworks(options, world.Events))
            {
                await cleaner.ReconcileAsync(new HashSet<string>(), CancellationToken.None);
                await cleaner.DeleteTableAsync(CancellationToken.None);
            }
        }
        Assert.Empty(await run.LeftoversAsync());
    }

    private static async Task<IReadOnlyList<string>> ObjectsOfAsync(string table, string key, SandboxNetwork sandbox)
    {
        var found = new List<string>();
        if (File.Exists(sandbox.NamespacePath))
            found.Add(sandbox.NamespacePath);
        if ((await HostShell.RunAsync(["ip", "link", "show", sandbox.HostInterface], check: false)).ExitCode == 0)
            found.Add(sandbox.HostInterface);
        var nft = (await HostShell.RunAsync(["nft", "list", "table", "inet", table])).Stdout;
        if (nft.Contains($"sb_{key}_", StringComparison.Ordinal) || nft.Contains(sandbox.HostInterface, StringComparison.Ordinal))
            found.Add("nft objects");
        return found;
    }
}
