namespace Cleanroom.Network.Tests;

/// <summary>The host gateway's one hole in a sandbox's input chain: its own link's host address, that port, TCP.</summary>
public sealed class GatewayFirewallRuleTests
{
    private static string InputRules(int? gatewayPort)
    {
        Assert.True(Ipv4Subnet.TryParse("10.77.0.0/16", out var pool));
        var script = new FirewallScript("t", pool, 1, TimeSpan.FromSeconds(70), gatewayPort)
            .AddSandbox(SandboxNames.For("sb-test", new NetworkOptions()), LinkAddresses.At(pool, 3), allowAll: false, [], stageGeneration: 1);
        var names = SandboxNames.For("sb-test", new NetworkOptions());
        return string.Join("\n", script.Split('\n').Where(l => l.StartsWith($"add rule inet t {names.InputChain} ", StringComparison.Ordinal)));
    }

    [Fact]
    public void With_a_gateway_the_input_chain_accepts_exactly_its_port_at_the_links_host_address_before_the_deny()
    {
        var rules = InputRules(8170).Split('\n');

        var gateway = Array.FindIndex(rules, r => r.EndsWith("ip daddr 10.77.0.13 tcp dport 8170 accept", StringComparison.Ordinal));
        var deny = Array.FindIndex(rules, r => r.Contains("goto", StringComparison.Ordinal));
        Assert.True(gateway >= 0, string.Join("\n", rules));
        Assert.True(gateway < deny);
        Assert.Equal(1, rules.Count(r => r.Contains("8170", StringComparison.Ordinal)));
    }

    [Fact]
    public void Without_a_gateway_only_dns_is_accepted()
    {
        var rules = InputRules(null);

        Assert.DoesNotContain("8170", rules);
        Assert.Equal(2, rules.Split('\n').Count(r => r.Contains("dport", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(53)]
    [InlineData(70000)]
    public void A_gateway_port_outside_the_usable_range_is_a_config_problem(int port) =>
        Assert.Contains(new NetworkOptions { GatewayPort = port }.Validate(), p => p.StartsWith("gateway.listen_port", StringComparison.Ordinal));
}
