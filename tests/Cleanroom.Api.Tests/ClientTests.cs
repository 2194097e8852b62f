using System.Net.Sockets;
using Cleanroom.Api.Addressing;
using Cleanroom.Client;
using Cleanroom.Api.Errors;
using Cleanroom.Api.Tests.Support;
using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Grpc.Core;

namespace Cleanroom.Api.Tests;

/// <summary>The CLI's client: what it throws, and where it connects.</summary>
public sealed class ClientTests
{
    [Fact]
    public async Task No_socket_file_means_server_not_running_with_how_to_start_one()
    {
        using var directory = new TempDirectory();
        using var client = new CleanroomClient(new UnixApiAddress(directory.Combine("absent.sock")));

        var ex = await Assert.ThrowsAsync<ServerNotRunningException>(async () =>
            await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest()));

        Assert.Equal(ApiErrorCode.ServerNotRunning, ex.Code);
        Assert.Contains("cleanroom serve &", ex.Message);
        Assert.Contains(directory.Combine("absent.sock"), ex.Message);
    }

    [Fact]
    public async Task Leftover_socket_file_with_no_server_means_server_not_running()
    {
        using var directory = new TempDirectory();
        var path = directory.Combine("dead.sock");
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(path + ".bound"));
            File.Move(path + ".bound", path);
        }
        using var client = new CleanroomClient(new UnixApiAddress(path));

        await Assert.ThrowsAsync<ServerNotRunningException>(async () =>
            await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest()));
    }

    [Fact]
    public async Task Closed_tcp_port_means_server_not_running()
    {
        int port;
        using (var probe = new TcpListenerScope()) port = probe.Port;
        using var client = new CleanroomClient(new HttpApiAddress("127.0.0.1", port));

        await Assert.ThrowsAsync<ServerNotRunningException>(async () =>
            await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest()));
    }

    [Fact]
    public async Task Server_error_arrives_as_CleanroomException_with_the_stable_code()
    {
        await using var server = await TestServer.StartAsync();
        using var client = new CleanroomClient(server.Socket);

        var ex = await Assert.ThrowsAsync<RemoteErrorException>(async () =>
            await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { PolicyJson = """{"version": 99}""" }));

        Assert.Equal(ErrorCode.PolicyInvalid, ex.Code);
        Assert.Equal(StatusCode.InvalidArgument, ex.Status);
        Assert.DoesNotContain("policy_invalid:", ex.Message);
    }

    [Fact]
    public async Task Stream_error_arrives_as_CleanroomException_after_the_earlier_messages()
    {
        await using var server = await TestServer.StartAsync();
        using var client = new CleanroomClient(server.Socket);
        using var call = client.Sandboxes.StreamSandboxEvents(new StreamSandboxEventsRequest { SandboxId = "fail-mid-stream" });

        var received = 0;
        var ex = await Assert.ThrowsAsync<RemoteErrorException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) received++;
        });

        Assert.Equal(2, received);
        Assert.Equal(ErrorCode.BackendUnavailable, ex.Code);
    }

    [Fact]
    public async Task Cancelling_a_call_is_an_OperationCanceledException_not_a_server_error()
    {
        await using var server = await TestServer.StartAsync();
        using var client = new CleanroomClient(server.Socket);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await client.Sandboxes.GetSandboxAsync(new GetSandboxRequest { SandboxId = "slow" }, cancellationToken: cancel.Token));
    }

    /// <summary>Finds a free loopback port by binding port 0 and releasing it.</summary>
    private sealed class TcpListenerScope : IDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);

        public TcpListenerScope() => _listener.Start();

        public int Port => ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;

        public void Dispose() => _listener.Stop();
    }
}
