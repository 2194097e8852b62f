using Cleanroom.Api.Addressing;
using Cleanroom.EndToEnd.Tests;

namespace Cleanroom.Client.Tests;

/// <summary>One real <c>cleanroom serve</c> (RealServer: its own socket, state, table and pool) for the client's end-to-end tests.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private RealServer? _server;

    public RealServer Server => _server ?? throw new InvalidOperationException("the server did not start");

    /// <summary>The server's socket, as a client's CLEANROOM_HOST would name it.</summary>
    public UnixApiAddress Address => new(Path.Combine(Server.Root, "run", "cleanroom", "cleanroom.sock"));

    /// <summary>A deny-all policy for the default image (the one setup imported).</summary>
    public Policy DefaultPolicy => Policy.FromAllowlist(Product.DefaultImage);

    public CleanroomClient NewClient() => new(new CleanroomClientOptions { Address = Address });

    public async Task InitializeAsync() => _server = await RealServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RealServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "real server";
}
