using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cleanroom.Network.Interop;
using Cleanroom.Network.Namespaces;
using Cleanroom.Network.Netlink;

namespace Cleanroom.Network.Tests;

/// <summary>
/// The thin rtnetlink and namespace layer on its own, in throwaway namespaces of this test's prefix, checked
/// with the independent ip tool: what it makes is what ip would have made, deletes take everything with them,
/// and refusals come back as typed errors carrying the kernel's errno. Everything is removed even on failure.
/// </summary>
public sealed class NetlinkLayerTests : IAsyncLifetime
{
    private readonly TestRun _run = TestRun.New();

    private string Namespace(string role) => $"{_run.Prefix}-{role}";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (HostRequirements.Missing() is not null)
            return;
        foreach (var name in NamedNetworkNamespace.List(_run.Prefix + "-"))
            NamedNetworkNamespace.Remove(name);
        using (var host = RouteNetlink.Open())
            foreach (var link in host.Links().Where(l => l.Name.StartsWith(_run.Prefix, StringComparison.Ordinal)))
                host.DeleteLink(link.Name);
        Assert.Empty(await _run.LeftoversAsync());
    }

    [NetworkFact]
    public async Task A_named_namespace_is_what_ip_netns_lists_and_enters_and_remove_takes_it_away()
    {
        using (var made = await NamedNetworkNamespace.CreateAsync(Namespace("a"), [("net/ipv6/conf/all/disable_ipv6", "1")]))
        {
            Assert.Equal($"/var/run/netns/{Namespace("a")}", made.Path);
            Assert.Contains(Namespace("a"), (await HostShell.RunAsync(["ip", "netns", "list"])).Stdout);
            // The sysctl was written inside the new namespace, not on the host.
            Assert.Equal("1", (await HostShell.RunAsync(["nsenter", $"--net={made.Path}", "cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6"])).Stdout.Trim());
            Assert.Equal("0", (await File.ReadAllTextAsync("/proc/sys/net/ipv6/conf/all/disable_ipv6")).Trim());
            // The socket opened there sees that namespace's links: only lo.
            Assert.Equal(["lo"], made.Inside.Links().Select(l => l.Name));
        }
        // Disposing the handle closes descriptors, never the namespace.
        Assert.True(File.Exists($"/var/run/netns/{Namespace("a")}"));
        Assert.True(NamedNetworkNamespace.Remove(Namespace("a")));
        Assert.False(NamedNetworkNamespace.Remove(Namespace("a")));
        Assert.DoesNotContain(Namespace("a"), (await HostShell.RunAsync(["ip", "netns", "list"])).Stdout);
    }

    [NetworkFact]
    public async Task A_taken_namespace_name_fails_with_EEXIST_and_leaves_the_existing_one_alone()
    {
        using var first = await NamedNetworkNamespace.CreateAsync(Namespace("b"), []);
        var error = await Assert.ThrowsAsync<NetlinkException>(() => NamedNetworkNamespace.CreateAsync(Namespace("b"), []));
        Assert.Equal(LibC.EEXIST, error.Errno);
        Assert.Equal(["lo"], first.Inside.Links().Select(l => l.Name));
        Assert.Equal(0, (await HostShell.RunAsync(["ip", "-n", Namespace("b"), "link", "show", "lo"], check: false)).ExitCode);
    }

    [NetworkFact]
    public async Task A_veth_into_another_namespace_with_addresses_and_a_default_route_carries_traffic_and_one_delete_removes_both_ends()
    {
        using var left = await NamedNetworkNamespace.CreateAsync(Namespace("l"), []);
        using var right = await NamedNetworkNamespace.CreateAsync(Namespace("r"), []);
        var leftEnd = _run.Prefix + "l";
        IPAddress leftAddress = IPAddress.Parse("192.0.2.1"), rightAddress = IPAddress.Parse("192.0.2.2");

        left.Inside.CreateVethPair(leftEnd, "eth0", right.Descriptor);
        left.Inside.SetAlias(leftEnd, "sb-netlink-test");
        left.Inside.AddAddress(left.Inside.IndexOf(leftEnd), leftAddress, 30);
        left.Inside.SetUp(leftEnd);
        var eth0 = right.Inside.IndexOf("eth0");
        right.Inside.AddAddress(eth0, rightAddress, 30);
        right.Inside.SetUp("lo");
        right.Inside.SetUp("eth0");
        right.Inside.AddDefaultRoute(leftAddress, eth0);

        var alias = JsonDocument.Parse((await HostShell.RunAsync(["ip", "-n", Namespace("l"), "-j", "link", "show", "dev", leftEnd])).Stdout).RootElement[0];
        Assert.Equal("sb-netlink-test", alias.GetProperty("ifalias").GetString());
        var link = JsonDocument.Parse((await HostShell.RunAsync(["ip", "-n", Namespace("l"), "-j", "addr", "show", "dev", leftEnd])).Stdout).RootElement[0];
        Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains(link.GetProperty("addr_info").EnumerateArray(), a => a.GetProperty("local").GetString() == "192.0.2.1" && a.GetProperty("prefixlen").GetInt32() == 30);
        var route = (await HostShell.RunAsync(["ip", "-n", Namespace("r"), "route", "show", "default"])).Stdout;
        Assert.Contains("default via 192.0.2.1 dev eth0", route);
        Assert.Contains(right.Inside.Ipv4Addresses(), a => a.Index == eth0 && a.Address.Equals(rightAddress) && a.PrefixLength == 30);
        // Traffic between the two namespaces this test made, and nowhere else: a TCP connect from the right one,
        // leaving by its default route, to a listener on the left end.
        using (var listener = new TcpEchoListener(NamespaceSockets.Create(left.Path, SocketType.Stream, ProtocolType.Tcp), new IPEndPoint(leftAddress, 8080)))
        using (var client = NamespaceSockets.Create(right.Path, SocketType.Stream, ProtocolType.Tcp))
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.ConnectAsync(new IPEndPoint(leftAddress, 8080), deadline.Token);
            Assert.Equal(rightAddress, ((IPEndPoint)client.LocalEndPoint!).Address);
        }

        Assert.True(left.Inside.DeleteLink(leftEnd));
        Assert.DoesNotContain(right.Inside.Links(), l => l.Name == "eth0");
        Assert.False(left.Inside.DeleteLink(leftEnd));
        Assert.True(NamedNetworkNamespace.Remove(Namespace("l")));
        Assert.True(NamedNetworkNamespace.Remove(Namespace("r")));
    }

    [NetworkFact]
    public async Task Refusals_carry_the_errno_and_the_kernels_reason()
    {
        using var made = await NamedNetworkNamespace.CreateAsync(Namespace("e"), []);
        var missing = Assert.Throws<NetlinkException>(() => made.Inside.IndexOf("nosuchlink0"));
        Assert.Equal(LibC.ENODEV, missing.Errno);
        made.Inside.SetUp("lo");
        // No route reaches this gateway in the namespace: the kernel refuses and says why.
        var unreachable = Assert.Throws<NetlinkException>(() => made.Inside.AddDefaultRoute(IPAddress.Parse("192.0.2.9"), made.Inside.IndexOf("lo")));
        Assert.Contains("RTM_NEWROUTE", unreachable.Message);
        Assert.NotEqual(0, unreachable.Errno);
    }
}
