using System.Net;
using Cleanroom.Cli.Ports;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Tests;

public class PortSpecTests
{
    [Theory]
    [InlineData("15432:5432", "127.0.0.1", 15432, 5432)]
    [InlineData("0:3000", "127.0.0.1", 0, 3000)]
    [InlineData("0.0.0.0:8080:80", "0.0.0.0", 8080, 80)]
    [InlineData("[::1]:8080:80", "::1", 8080, 80)]
    public void Reads_the_host_address_host_port_and_guest_port(string text, string address, int hostPort, int guestPort)
    {
        var spec = PortSpec.Parse(text, "--expose");

        Assert.Equal(IPAddress.Parse(address), spec.HostAddress);
        Assert.Equal(hostPort, spec.HostPort);
        Assert.Equal(guestPort, spec.GuestPort);
    }

    [Theory]
    [InlineData("5432", "HOST_PORT:GUEST_PORT")]
    [InlineData("8080:0", "'0' is not a port (1-65535)")]
    [InlineData("70000:80", "'70000' is not a port")]
    [InlineData("web:80", "'web' is not a port")]
    [InlineData("localhost:80:80", "'localhost' is not an IP address")]
    [InlineData("", "HOST_PORT:GUEST_PORT")]
    public void Refuses_what_is_not_a_mapping_and_says_why(string text, string why)
    {
        var error = Assert.Throws<CleanroomException>(() => PortSpec.Parse(text, "--expose"));

        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.Contains(why, error.Message);
        Assert.Contains("--expose", error.Message);
    }
}
