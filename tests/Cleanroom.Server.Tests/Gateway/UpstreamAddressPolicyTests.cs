using System.Net;
using System.Net.NetworkInformation;
using Cleanroom.Server.Gateway;

namespace Cleanroom.Server.Tests.Gateway;

public class UpstreamAddressPolicyTests
{
    private readonly UpstreamAddressPolicy _policy = new("10.77.0.0/16");

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.8.9.10", "loopback")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("255.255.255.255", "multicast")]
    [InlineData("10.77.3.2", "sandbox pool")]
    [InlineData("::1", "IPv4")]
    public void Addresses_that_lead_back_into_the_host_or_a_sandbox_are_never_dialled(string address, string why) =>
        Assert.Contains(why, _policy.WhyRefused(IPAddress.Parse(address)));

    [Fact]
    public void Every_address_of_this_host_is_refused()
    {
        var own = NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address).Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)).ToList();

        Assert.All(own, a => Assert.Equal("an address of this host", _policy.WhyRefused(a)));
    }

    [Fact]
    public void Another_host_is_allowed() =>
        Assert.Null(_policy.WhyRefused(IPAddress.Parse("198.51.100.7")));
}
