using Cleanroom.Api.Tests.Support;

namespace Cleanroom.Api.Tests;

/// <summary>One server shared by the protocol tests of a class (they only read; start-up per test would be slow).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
