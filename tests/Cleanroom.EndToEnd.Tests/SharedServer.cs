namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// One real server for all the tests of a class (an xunit class fixture): starting and stopping a server per test was
/// most of this suite's time. A class shares one only when each of its tests makes and removes its own sandboxes and
/// leaves the server as it found it; tests that stop, kill or reconfigure the server start their own.
/// </summary>
public sealed class SharedServer : IAsyncLifetime
{
    public RealServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RealServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}

/// <summary>
/// Tests of a class that share one server (a class fixture): each test removes the sandboxes it left when it ends,
/// so the next one finds the server as it was.
/// </summary>
public abstract class SharedServerTests(RealServer server) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => server.RemoveSandboxesAsync();
}
