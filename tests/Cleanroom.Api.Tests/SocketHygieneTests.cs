using System.Net.Sockets;
using Cleanroom.Api.Addressing;
using Cleanroom.Api.Errors;
using Cleanroom.Api.Tests.Support;
using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cleanroom.Api.Tests;

/// <summary>How the server treats its socket file and directory: modes, leftovers, a live rival, shutdown.</summary>
public sealed class SocketHygieneTests
{
    private const UnixFileMode Mode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task Socket_is_0600_in_a_directory_created_0700()
    {
        await using var server = await TestServer.StartAsync();

        Assert.Equal(Mode0600, File.GetUnixFileMode(server.Socket.Path));
        Assert.Equal(Mode0700, File.GetUnixFileMode(Path.GetDirectoryName(server.Socket.Path)!));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(server.Socket.Path)!, ".*")); // no temporary left behind
    }

    [Fact]
    public async Task Clean_shutdown_removes_the_socket_file()
    {
        var server = await TestServer.StartAsync();
        var path = server.Socket.Path;
        Assert.True(File.Exists(path));

        await server.App.StopAsync();

        Assert.False(File.Exists(path));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Stale_socket_of_a_dead_server_is_replaced()
    {
        using var directory = new TempDirectory();
        var path = directory.Combine("api.sock");
        // A socket file nobody accepts on: what a killed server leaves. (.NET unlinks the path a socket was bound
        // to when it is disposed, so bind under another name and move the file to where the server will look.)
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(path + ".bound"));
            dead.Listen();
            File.Move(path + ".bound", path);
        }
        Assert.True(File.Exists(path));

        await using var app = TestServer.Build([new UnixApiAddress(path)]);
        await app.StartAsync();
        using var client = new Client.CleanroomClient(new UnixApiAddress(path));
        var response = await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest());

        Assert.Equal(2, response.Sandboxes.Count);
        await app.StopAsync();
    }

    [Fact]
    public async Task Second_server_on_a_live_socket_fails_with_already_running()
    {
        await using var first = await TestServer.StartAsync();
        await using var second = TestServer.Build([first.Socket]);

        var ex = await Assert.ThrowsAsync<ServerAlreadyRunningException>(() => second.StartAsync());

        Assert.Equal(ApiErrorCode.ServerAlreadyRunning, ex.Code);
        Assert.Contains("already running", ex.Message);
        // The first server is untouched and still answers.
        using var client = new Client.CleanroomClient(first.Socket);
        Assert.Equal(2, (await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest())).Sandboxes.Count);
    }

    [Fact]
    public async Task A_file_that_is_not_a_socket_is_never_replaced()
    {
        using var directory = new TempDirectory();
        var path = directory.Combine("api.sock");
        await File.WriteAllTextAsync(path, "precious");
        await using var app = TestServer.Build([new UnixApiAddress(path)]);

        var ex = await Assert.ThrowsAsync<CleanroomException>(() => app.StartAsync());

        Assert.Equal(ErrorCode.InvalidArgument, ex.Code);
        Assert.Equal("precious", await File.ReadAllTextAsync(path));
    }

    [Theory]
    [InlineData("http://0.0.0.0:7777")]
    [InlineData("http://10.1.2.3:7777")]
    [InlineData("http://example.test:7777")]
    public void Plain_http_on_a_non_loopback_address_is_refused(string address)
    {
        var ex = Assert.Throws<CleanroomException>(() => TestServer.Build([ApiAddress.Parse(address)]));

        Assert.Equal(ErrorCode.InvalidArgument, ex.Code);
        Assert.Contains("non-loopback", ex.Message);
    }

    [Fact]
    public void Host_stops_cleanly_on_SIGTERM_through_the_console_lifetime()
    {
        using var directory = new TempDirectory();
        var app = TestServer.Build([new UnixApiAddress(directory.Combine("api.sock"))]);

        // The generic host's ConsoleLifetime turns SIGTERM/SIGINT into StopApplication.
        Assert.IsType<Microsoft.Extensions.Hosting.Internal.ConsoleLifetime>(app.Services.GetRequiredService<IHostLifetime>());
    }
}
