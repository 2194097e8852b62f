using System.Net.Sockets;
using System.Text;
using Cleanroom.Cli.Service;

namespace Cleanroom.Cli.Tests;

/// <summary>
/// sd_notify as a Type=notify unit needs it: READY=1 with the status and pid, then STOPPING=1, as datagrams on the
/// socket NOTIFY_SOCKET names (a path or an abstract @name); the variable leaves the environment so children cannot
/// inherit it. The test binds the socket systemd would.
/// </summary>
[Collection(ProcessEnvironment.Name)]
public sealed class ServiceNotificationTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose()
    {
        System.Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);
        _root.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ready_and_stopping_reach_the_managers_socket(bool abstractName)
    {
        var name = abstractName ? $"@cleanroom-test-{Guid.NewGuid():N}" : Path.Combine(_root.Path, "notify");
        using var manager = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        manager.Bind(new UnixDomainSocketEndPoint(abstractName ? "\0" + name[1..] : name));
        manager.ReceiveTimeout = 10_000;
        System.Environment.SetEnvironmentVariable("NOTIFY_SOCKET", name);

        var notification = ServiceNotification.FromEnvironment();
        notification.Ready("serving on unix:///x.sock");
        notification.Stopping();

        Assert.Null(System.Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));
        Assert.Equal($"READY=1\nSTATUS=serving on unix:///x.sock\nMAINPID={System.Environment.ProcessId}", Receive(manager));
        Assert.Equal("STOPPING=1", Receive(manager));
    }

    [Fact]
    public void Without_a_manager_nothing_is_sent_and_nothing_fails()
    {
        System.Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);

        var notification = ServiceNotification.FromEnvironment();
        notification.Ready("x");
        notification.Stopping();
    }

    private static string Receive(Socket socket)
    {
        var buffer = new byte[4096];
        var length = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}

/// <summary>Tests that change the process's environment run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironment
{
    public const string Name = "process environment";
}
