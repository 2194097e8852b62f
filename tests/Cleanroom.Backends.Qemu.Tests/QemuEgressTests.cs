using System.Net;
using Cleanroom.Backends.Qemu.Host;
using Cleanroom.Backends.Qemu.Tests.Support;
using Cleanroom.Backends.Conformance;
using Cleanroom.Network;
using Cleanroom.Network.Tests;

namespace Cleanroom.Backends.Qemu.Tests;

/// <summary>A fact that needs both a bootable qemu (QemuRequirements) and root with ip, nft and nsenter.</summary>
public sealed class QemuNetworkFactAttribute : FactAttribute
{
    public QemuNetworkFactAttribute()
    {
        if ((new QemuRequirements().Missing() ?? HostRequirements.Missing()) is { } reason)
            Skip = reason;
    }
}

/// <summary>
/// The server's egress enforcement around a real QEMU guest (TCG): a <see cref="SandboxNetwork"/> made by
/// Cleanroom.Network, the VM provisioned with its <see cref="NetworkAttachment"/> exactly as the server's
/// EnforcedBackend does it, and programs inside the guest (busybox nslookup and nc) reaching upstream hosts that
/// the test made in its own namespaces. Traffic goes nowhere else: every address here is the test's own.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class QemuEgressTests(QemuAssets assets, QemuEgressWorld world) : IClassFixture<QemuEgressWorld>
{
    private readonly QemuTestHost _host = new(assets);

    private static string GitConfig(SandboxNetwork network) =>
        $"[url \"http://{network.HostAddress}:8170/git/api.test/\"]\n\tinsteadOf = https://api.test/\n";

    [QemuNetworkFact]
    public async Task The_guest_owns_the_sandbox_address_and_egress_is_enforced_on_its_link()
    {
        var network = await world.CreateSandboxAsync(("api.test", QemuEgressWorld.EchoPort));
        IProvisionedSandbox? sandbox = null;
        var terminated = false;
        try
        {
            sandbox = await _host.Backend().ProvisionAsync(_host.Spec() with
            {
                SandboxId = network.SandboxId,
                Network = new NetworkRequirements(HasEgressAllowRules: true, AllowAll: false),
                Attachment = new NetworkAttachment(network.NamespacePath, network.ResolvConf)
                {
                    Interface = network.SandboxInterface,
                    SandboxAddress = network.SandboxAddress,
                    GatewayAddress = network.HostAddress,
                    PrefixLength = network.PrefixLength,
                    GuestFiles = new Dictionary<string, string> { ["/etc/gitconfig"] = GitConfig(network) },
                },
            }, CancellationToken.None);

            // The host gateway's git config is in place before the sandbox is handed out, root's and read-only.
            Assert.Equal(GitConfig(network), await GuestRun.StdoutAsync(sandbox, "cat /etc/gitconfig"));
            Assert.Equal("444 0:0\n", await GuestRun.StdoutAsync(sandbox, "stat -c '%a %u:%g' /etc/gitconfig"));

            // The guest holds the sandbox address; the namespace holds none (it is only a bridge now).
            Assert.Equal(network.ResolvConf, await GuestRun.StdoutAsync(sandbox, "cat /etc/resolv.conf"));
            Assert.Contains($"inet {network.SandboxAddress}/{network.PrefixLength}", await GuestRun.StdoutAsync(sandbox, "ip -4 addr show eth0"));
            Assert.Contains($"default via {network.HostAddress}", await GuestRun.StdoutAsync(sandbox, "ip -4 route"));
            var (_, namespaceAddresses, _) = await HostShell.RunAsync(["nsenter", $"--net={network.NamespacePath}", "ip", "-4", "-o", "addr", "show"]);
            Assert.DoesNotContain(network.SandboxAddress.ToString(), namespaceAddresses);

            // Allowed: the name resolves through the policy resolver, then host:port is reachable.
            var api = world.Api.Address.ToString();
            // busybox nslookup asks for A and AAAA at once with one id taken from the clock; it found the A answer only
            // once the guest's clock was finer than 4 ms jiffies (Host/HostTsc.cs), so it is asked exactly once here.
            Assert.Contains(api, await GuestRun.StdoutAsync(sandbox, "nslookup api.test"));
            var before = world.ApiEcho.Accepted;
            Assert.Equal("hello\n", await GuestRun.StdoutAsync(sandbox, $"echo hello | nc -w 5 {api} {QemuEgressWorld.EchoPort}"));
            Assert.Equal(before + 1, world.ApiEcho.Accepted);

            // The same host on a port not allowed: dropped, and reported with its name.
            var otherBefore = world.ApiOtherPort.Accepted;
            var blockedRun = await ExecutionResult.RunAsync(sandbox, "sh", "-c", $"echo x | nc -w 3 {api} {QemuEgressWorld.OtherPort}");
            Assert.NotEqual(0, blockedRun.Exit.ExitCode);
            Assert.Equal(otherBefore, world.ApiOtherPort.Accepted);
            var blocked = await world.Events.WaitForAsync<BlockedConnection>(b => b.SandboxId == network.SandboxId);
            Assert.Equal((world.Api.Address, "api.test", QemuEgressWorld.OtherPort, "tcp", "host_not_allowed"),
                (blocked.Address, blocked.HostName, blocked.Port, blocked.Protocol, blocked.Reason));
            // Exactly one event per attempt, and every other egress outcome: QemuEgressConformanceTests (Cleanroom.Network.Tests).

            // A name the policy does not allow is refused by the resolver (NXDOMAIN) and reported.
            var refusedRun = await ExecutionResult.RunAsync(sandbox, "sh", "-c", "nslookup other.test");
            Assert.DoesNotContain(world.Other.Address.ToString(), refusedRun.Stdout);
            var refused = await world.Events.WaitForAsync<HostNotAllowed>(r => r.SandboxId == network.SandboxId);
            Assert.Equal("other.test", refused.Name);
            // And its address is not reachable directly either.
            var direct = await ExecutionResult.RunAsync(sandbox, "sh", "-c", $"echo x | nc -w 3 {world.Other.Address} {QemuEgressWorld.EchoPort}");
            Assert.NotEqual(0, direct.Exit.ExitCode);

            await sandbox.TerminateAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            terminated = true;
            // The VM is gone and so is its TAP, while the namespace (the network's) still exists.
            await _host.AssertNothingRemainsAsync(network.SandboxId);
            var (tapExit, _, _) = await HostShell.RunAsync(["nsenter", $"--net={network.NamespacePath}", "ip", "link", "show", "tap0"], check: false);
            Assert.NotEqual(0, tapExit);
        }
        finally
        {
            if (sandbox is not null && !terminated)
                await sandbox.TerminateAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            await network.DisposeAsync();
        }

        // Nothing left: no QEMU, no namespace, no link of this sandbox.
        await _host.AssertNothingRemainsAsync(network.SandboxId);
        Assert.False(File.Exists(network.NamespacePath), $"{network.NamespacePath} is still there");
        var (_, links, _) = await HostShell.RunAsync(["ip", "-o", "link", "show"]);
        Assert.DoesNotContain($": {network.HostInterface}", links);
        Assert.DoesNotContain(HostPids.QemusUnder(assets.Root), q => q.GuestName == "cleanroom-" + network.SandboxId);
    }
}
