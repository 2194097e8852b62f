using System.Collections.Immutable;
using System.Net;
using Cleanroom.Server.Gateway;

namespace Cleanroom.Server.Tests.Gateway;

public class GatewayCallersTests
{
    private static GatewayCaller Caller(string id, string sandbox, string host) =>
        new(id, "sha256:" + id, IPAddress.Parse(sandbox), IPAddress.Parse(host), 8170, new NoNetwork());

    [Fact]
    public void A_connection_from_a_sandboxs_address_to_its_own_link_is_that_sandbox()
    {
        var callers = new GatewayCallers();
        var a = Caller("sb-a", "10.9.0.2", "10.9.0.1");
        var b = Caller("sb-b", "10.9.0.6", "10.9.0.5");
        callers.Add(a);
        callers.Add(b);

        Assert.Same(a, callers.Identify(IPAddress.Parse("10.9.0.2"), IPAddress.Parse("10.9.0.1")));
        Assert.Same(b, callers.Identify(IPAddress.Parse("10.9.0.6"), IPAddress.Parse("10.9.0.5")));
        Assert.Same(a, callers.Identify(IPAddress.Parse("::ffff:10.9.0.2"), IPAddress.Parse("::ffff:10.9.0.1")));
    }

    [Fact]
    public void Anyone_else_is_nobody()
    {
        var callers = new GatewayCallers();
        callers.Add(Caller("sb-a", "10.9.0.2", "10.9.0.1"));
        callers.Add(Caller("sb-b", "10.9.0.6", "10.9.0.5"));

        // a host process: loopback, or the link's own host address as its source
        Assert.Null(callers.Identify(IPAddress.Loopback, IPAddress.Loopback));
        Assert.Null(callers.Identify(IPAddress.Parse("10.9.0.1"), IPAddress.Parse("10.9.0.1")));
        // sandbox B's address arriving at sandbox A's listener (it could not route there, but never trust that)
        Assert.Null(callers.Identify(IPAddress.Parse("10.9.0.6"), IPAddress.Parse("10.9.0.1")));
        Assert.Null(callers.Identify(IPAddress.Parse("10.9.0.10"), IPAddress.Parse("10.9.0.9")));
        Assert.Null(callers.Identify(null, IPAddress.Parse("10.9.0.1")));
    }

    [Fact]
    public void A_removed_sandbox_is_nobody_and_its_address_can_be_reused()
    {
        var callers = new GatewayCallers();
        var old = Caller("sb-old", "10.9.0.2", "10.9.0.1");
        callers.Add(old);
        callers.Remove(old);

        Assert.Null(callers.Identify(IPAddress.Parse("10.9.0.2"), IPAddress.Parse("10.9.0.1")));
        var next = Caller("sb-new", "10.9.0.2", "10.9.0.1");
        callers.Add(next);
        callers.Remove(old); // a late removal of the old registration leaves the new one
        Assert.Same(next, callers.Identify(IPAddress.Parse("10.9.0.2"), IPAddress.Parse("10.9.0.1")));
    }

    [Fact]
    public void Two_sandboxes_cannot_hold_one_address()
    {
        var callers = new GatewayCallers();
        callers.Add(Caller("sb-a", "10.9.0.2", "10.9.0.1"));

        Assert.Throws<InvalidOperationException>(() => callers.Add(Caller("sb-b", "10.9.0.2", "10.9.0.1")));
    }

    private sealed class NoNetwork : IGatewayCallerNetwork
    {
        public ImmutableArray<int>? AllowedPortsFor(string host) => null;

        public Task<ImmutableArray<IPAddress>> ResolveAllowedAsync(string host, CancellationToken cancellationToken) => Task.FromResult(ImmutableArray<IPAddress>.Empty);

        public string? ExecutionId => null;
    }
}
