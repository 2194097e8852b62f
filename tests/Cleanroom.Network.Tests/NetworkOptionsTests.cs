using System.Collections.Immutable;
using System.Net;
using Cleanroom.Errors;
using Cleanroom.Policy;

namespace Cleanroom.Network.Tests;

public sealed class NetworkOptionsTests
{
    [Fact]
    public void DefaultsAreValid() => Assert.Empty(new NetworkOptions().Validate());

    [Fact]
    public void EachBadSettingIsReportedUnderItsKey()
    {
        var options = new NetworkOptions
        {
            Pool = "10.213.0.0/30",
            DnsUpstream = "resolver.example",
            DnsHosts = ImmutableDictionary<string, string>.Empty.Add("Bad_Name", "::1"),
            NamePrefix = "cleanroom1",
            NflogGroup = 0,
        };

        var problems = options.Validate();

        foreach (var key in new[] { "network.pool", "network.dns.upstream", "network.dns.hosts:", "network.dns.hosts.Bad_Name", "network.name_prefix", "network.nflog_group" })
            Assert.Contains(problems, p => p.StartsWith(key, StringComparison.Ordinal));
    }

    [Fact]
    public void UpstreamComesFromTheSettingElseResolvConf()
    {
        var resolvConf = Path.GetTempFileName();
        try
        {
            File.WriteAllText(resolvConf, "# comment\nnameserver ::1\nnameserver 192.0.2.53\n");
            Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.53"), 53), new NetworkOptions().ResolveUpstream(resolvConf));
            Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 5353), new NetworkOptions { DnsUpstream = "192.0.2.1:5353" }.ResolveUpstream(resolvConf));
        }
        finally
        {
            File.Delete(resolvConf);
        }
    }

    [Fact]
    public void InvalidOptionsAreRefusedBeforeTouchingTheHost()
    {
        var error = Assert.Throws<CleanroomException>(() => new SandboxNetworks(new NetworkOptions { Pool = "nope" }, new RecordingEventSink()));
        Assert.Equal(ErrorCode.ConfigInvalid, error.Code);
    }

    [Fact]
    public void PoolHandsOutDistinctLinksUntilFullAndReusesReleasedOnes()
    {
        Assert.True(Ipv4Subnet.TryParse("10.9.0.0/29", out var subnet));
        var pool = new LinkAddressPool(subnet);
        var first = pool.Allocate();
        var second = pool.Allocate();

        Assert.Equal(("10.9.0.1", "10.9.0.2"), (first.HostAddress.ToString(), first.SandboxAddress.ToString()));
        Assert.Equal(("10.9.0.5", "10.9.0.6"), (second.HostAddress.ToString(), second.SandboxAddress.ToString()));
        Assert.Equal(ErrorCode.NetworkSetupFailed, Assert.Throws<CleanroomException>(pool.Allocate).Code);
        pool.Release(first);
        Assert.Equal(first, pool.Allocate());
    }

    [Fact]
    public void RulesSplitIntoNamesAndIpv4LiteralPairs()
    {
        var rules = ActiveRules.From("execution", [
            new EgressRule("api.example", [443]),
            new EgressRule("192.0.2.7", [80, 8080]),
            new EgressRule("2001:db8::1", [443]),
        ], allowAll: false);

        Assert.Equal([443], rules.PortsFor("API.example."));
        Assert.Null(rules.PortsFor("other.example"));
        Assert.Null(rules.PortsFor("192.0.2.7"));
        Assert.Equal(2, rules.LiteralPairs.Count);
        Assert.Empty(ActiveRules.From("execution", [], allowAll: true).PortsFor("anything.example")!.Value);
    }

    [Fact]
    public void HostNamesFitInterfaceLimitsAndAreRecognisedOnlyForTheirPrefix()
    {
        var names = SandboxNames.For("sb-abcdefghijkl", new NetworkOptions { NamePrefix = "crtabcd" });

        Assert.Equal(15, names.HostLink.Length);
        Assert.True(SandboxNames.IsHostLink(names.HostLink, "crtabcd"));
        Assert.False(SandboxNames.IsHostLink(names.HostLink, "cr"));
        Assert.Equal("crtabcd-sb-abcdefghijkl", names.Namespace);
        Assert.Equal(names.Key, SandboxNames.KeyOfObject(names.AllowSet));
        Assert.Throws<CleanroomException>(() => SandboxNames.For("../etc", new NetworkOptions()));
    }
}
