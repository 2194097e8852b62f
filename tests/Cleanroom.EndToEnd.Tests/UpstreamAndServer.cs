namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// A class fixture: the test's own upstream (serving one page, named <c>upstream.test</c> through the runtime
/// config's static hosts) and one real server, shared by the tests of a class.
/// </summary>
public sealed class UpstreamAndServer : IAsyncLifetime
{
    private UpstreamNamespace? _upstream;

    public RealServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _upstream = await UpstreamNamespace.StartAsync("hello from upstream\n");
        Server = await RealServer.StartAsync($"  dns:\n    hosts:\n      upstream.test: {UpstreamNamespace.Address}\n");
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
        if (_upstream is not null)
            await _upstream.DisposeAsync();
    }
}
